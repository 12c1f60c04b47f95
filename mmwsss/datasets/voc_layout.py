"""The VOC2012 folder layout, in one place (numpy only, no OpenMMLab).

Every stage finds a split's files through this module:

* split lists: ``<root>/ImageSets/Segmentation/<split>.txt`` (or any list
  file given as a path), :func:`split_list_path`, :func:`read_split`;
* images ``<root>/JPEGImages/<id>.jpg``; ground truth
  ``<root>/SegmentationClassAug/<id>.png`` (else ``SegmentationClass``),
  :func:`default_gt_dir`;
* image-level labels: ``<root>/cls_labels.npy`` (dict id -> float32[K], no
  background) or derived from the masks, :class:`ImageLabels`;
* class names / metainfo: ``VOC_CLASSES`` and the toy set's
  ``TOY_CLASSES`` (the one definition of both), :func:`class_names_for`,
  :func:`resolve_class_names`.
"""
import os.path as osp
import pickle
import zipfile

import numpy as np

from mmwsss.utils.io import load_label_png, read_image_list

from .toy_metainfo import TOY_CLASSES

VOC_CLASSES = ('background', 'aeroplane', 'bicycle', 'bird', 'boat',
               'bottle', 'bus', 'car', 'cat', 'chair', 'cow', 'diningtable',
               'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep',
               'sofa', 'train', 'tvmonitor')

#: TOY_CLASSES: classes of the procedural toy dataset (tools/make_toy_data.py),
#: defined once in :mod:`mmwsss.datasets.toy_metainfo`: index 0 is
#: background, 1..6 the foreground classes, in the order of cls_labels.npy.

#: named class sets (background first)
CLASS_SETS = dict(voc=VOC_CLASSES, toy=TOY_CLASSES)


def metainfo(classes='voc', background=True):
    """``dict(classes=...)`` of a named class set, for mm dataset configs."""
    names = CLASS_SETS[classes]
    return dict(classes=tuple(names if background else names[1:]))


# --------------------------------------------------------------------------
# paths
def root_path(data_root, path):
    """``path`` under ``data_root`` unless it is absolute."""
    return path if osp.isabs(path) else osp.join(data_root, path)


def split_list_path(data_root, split):
    """A split name (``train``) -> ``<root>/ImageSets/Segmentation/
    train.txt``; an existing list file (absolute, or relative to the cwd or
    to ``data_root``) is returned as is."""
    if osp.isfile(split):
        return split
    if data_root and osp.isfile(osp.join(data_root, split)):
        return osp.join(data_root, split)
    name = split if split.endswith('.txt') else f'{split}.txt'
    return osp.join(data_root or '', 'ImageSets', 'Segmentation', name)


def read_split(data_root, split):
    """``(list file, ids)`` of a split name or list file."""
    path = split_list_path(data_root, split)
    return path, read_image_list(path)


def default_gt_dir(data_root):
    for name in ('SegmentationClassAug', 'SegmentationClass'):
        path = osp.join(data_root, name)
        if osp.isdir(path):
            return path
    return osp.join(data_root, 'SegmentationClassAug')


def require_files(folder, ids, suffix, what, split_file):
    """Raise a clear error when ``<folder>/<id><suffix>`` is missing."""
    if not osp.isdir(folder):
        raise FileNotFoundError(f'{what} folder not found: {folder}')
    missing = [i for i in ids if not osp.isfile(osp.join(folder, i + suffix))]
    if missing:
        raise FileNotFoundError(
            f'{len(missing)} of {len(ids)} images of {split_file} have no '
            f'{what} file in {folder}, e.g. '
            f'{osp.join(folder, missing[0] + suffix)}')


# --------------------------------------------------------------------------
# image-level labels
def load_cls_labels(path):
    """Load ``cls_labels.npy`` as a dict id -> float32 vector."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'image-level label file not found: {path}')
    try:
        data = np.load(path, allow_pickle=True)
        data = data.item() if data.dtype == object and data.shape == () \
            else data
    except (OSError, ValueError, EOFError, pickle.UnpicklingError,
            zipfile.BadZipFile) as e:
        raise ValueError(f'{path}: cannot read image-level labels, the file '
                         f'is truncated or corrupt ({type(e).__name__}: '
                         f'{e})') from e
    if not isinstance(data, dict):
        raise ValueError(f'{path}: expected a pickled dict id -> float[C], '
                         f'got {type(data).__name__}')
    return {str(k): np.asarray(v, dtype=np.float32) for k, v in data.items()}


def labels_from_mask(mask, num_classes=20, ignore_index=255):
    """Multi-hot vector of the foreground classes present in a mask
    (values 1..num_classes; 0 = background, ``ignore_index`` skipped)."""
    values = np.unique(np.asarray(mask))
    values = values[(values > 0) & (values != ignore_index)]
    if values.size and values.max() > num_classes:
        raise ValueError(f'mask holds class {values.max()} > {num_classes}')
    vec = np.zeros(num_classes, dtype=np.float32)
    vec[values.astype(np.int64) - 1] = 1.0
    return vec


class ImageLabels:
    """Image-level labels of a VOC root: id -> float32[K] multi-hot.

    Args:
        data_root (str): VOC-style root.
        cls_labels (str, optional): label file; default
            ``<data_root>/cls_labels.npy``.
        from_mask (bool): derive the labels from the masks in ``mask_dir``
            instead (needs ``num_classes``).
        mask_dir (str, optional): mask folder (default the GT folder).
        num_classes (int, optional): K foreground classes; checked against
            the file when given.
    """

    def __init__(self, data_root, cls_labels=None, from_mask=False,
                 mask_dir=None, num_classes=None):
        self.from_mask = from_mask
        self.file = None
        self._table = None
        if from_mask:
            if num_classes is None:
                default = cls_labels or osp.join(data_root, 'cls_labels.npy')
                if not osp.isfile(default):
                    raise ValueError('labels from masks need num_classes '
                                     f'(no {default} to read it from)')
                num_classes = next(iter(
                    load_cls_labels(default).values())).size
            self.mask_dir = root_path(data_root, mask_dir) if mask_dir \
                else default_gt_dir(data_root)
        else:
            self.file = cls_labels or osp.join(data_root, 'cls_labels.npy')
            self._table = load_cls_labels(self.file)
            if not self._table:
                raise ValueError(f'{self.file}: no labels')
            lengths = {v.size for v in self._table.values()}
            if len(lengths) != 1:
                raise ValueError(f'{self.file}: image-level labels have '
                                 f'different lengths {sorted(lengths)}')
            k = lengths.pop()
            if num_classes is not None and k != num_classes:
                raise ValueError(f'{self.file}: labels hold {k} classes, '
                                 f'expected {num_classes}')
            num_classes = k
        self.num_classes = int(num_classes)

    def __call__(self, img_id):
        """float32[K] multi-hot label of one image."""
        if self.from_mask:
            path = osp.join(self.mask_dir, img_id + '.png')
            try:
                return labels_from_mask(load_label_png(path),
                                        self.num_classes)
            except ValueError as e:
                raise ValueError(f'{path}: {e}') from e
        try:
            return self._table[img_id]
        except KeyError:
            raise KeyError(f'{self.file}: no image-level label for '
                           f'{img_id!r}') from None

    def keys(self, img_id):
        """int64 indices (0-based) of the classes present in one image."""
        return np.flatnonzero(self(img_id) > 0.5)


# --------------------------------------------------------------------------
# class names
def class_names_for(num_classes):
    """Foreground class names for K classes: VOC's 20, the toy set's 6,
    else ``class1..classK``."""
    for names in (VOC_CLASSES, TOY_CLASSES):
        if len(names) - 1 == num_classes:
            return list(names[1:])
    return [f'class{i + 1}' for i in range(num_classes)]


def resolve_class_names(classes=None, num_classes=None, data_root=None):
    """Class names, background first.

    ``classes`` (``'voc'``/``'toy'``) wins; else ``num_classes`` (with
    background) picks VOC's or the toy set's names when the count matches
    (else ``class1..``); else the length of ``<data_root>/cls_labels.npy``
    plus one; else VOC's 21.
    """
    if classes is not None:
        if classes not in CLASS_SETS:
            raise ValueError(f'unknown class set {classes!r}; choose from '
                             f'{sorted(CLASS_SETS)}')
        names = CLASS_SETS[classes]
        if num_classes is not None and num_classes != len(names):
            raise ValueError(f'--classes {classes} has {len(names)} classes '
                             f'but --num-classes is {num_classes}')
        return list(names)
    if num_classes is None and data_root is not None:
        path = osp.join(data_root, 'cls_labels.npy')
        if osp.isfile(path):
            sizes = {v.size for v in load_cls_labels(path).values()}
            if len(sizes) != 1:
                raise ValueError(f'{path}: labels of different lengths '
                                 f'{sorted(sizes)}')
            num_classes = sizes.pop() + 1
    if num_classes is None:
        return list(VOC_CLASSES)
    for names in CLASS_SETS.values():
        if len(names) == num_classes:
            return list(names)
    return ['background'] + [f'class{i}' for i in range(1, num_classes)]
