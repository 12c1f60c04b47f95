"""The VOC2012 folder layout, in one place (numpy only, no OpenMMLab).

Every stage finds a split's files through this module:

* split lists: ``<root>/ImageSets/Segmentation/<split>.txt`` (or any list
  file given as a path), :func:`split_list_path`, :func:`read_split`;
* images ``<root>/JPEGImages/<id>.jpg``; ground truth
  ``<root>/SegmentationClassAug/<id>.png`` (else ``SegmentationClass``),
  :func:`default_gt_dir`;
* image-level labels: ``<root>/cls_labels.npy`` (dict id -> float32[K], no
  background; or its pickle-free ``.npz`` / ``.json`` forms, read without
  running code, :func:`load_cls_labels`) or derived from the masks,
  :class:`ImageLabels`;
* class names / metainfo: a dataset's own ``<root>/classes.txt`` (its
  foreground classes, one per line, in the order of ``cls_labels.npy``),
  or a list given in a config or on a command line, or the built-in sets
  ``VOC_CLASSES`` and the toy set's ``TOY_CLASSES`` (named ``'voc'`` and
  ``'toy'``): :func:`resolve_class_names`, :func:`read_class_names`,
  :func:`class_names_for`.
"""
import json
import os.path as osp
import pickle
import zipfile

import numpy as np

from mmwsss.utils.io import atomic_write, load_label_png, read_image_list

from .toy_metainfo import TOY_CLASSES

VOC_CLASSES = ('background', 'aeroplane', 'bicycle', 'bird', 'boat',
               'bottle', 'bus', 'car', 'cat', 'chair', 'cow', 'diningtable',
               'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep',
               'sofa', 'train', 'tvmonitor')

#: TOY_CLASSES: classes of the procedural toy dataset (tools/make_toy_data.py),
#: defined once in :mod:`mmwsss.datasets.toy_metainfo`: index 0 is
#: background, 1..6 the foreground classes, in the order of cls_labels.npy.

#: the built-in class sets, by name (background first); any other dataset
#: names its classes in ``<root>/classes.txt`` or in its config
CLASS_SETS = dict(voc=VOC_CLASSES, toy=TOY_CLASSES)
#: a dataset's class names, beside its ``cls_labels.npy``
CLASSES_FILE = 'classes.txt'


def metainfo(classes='voc', background=True):
    """``dict(classes=...)`` for mm dataset configs, from any class spec
    (see :func:`parse_classes`)."""
    names = parse_classes(classes)
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
#: the forms of the image-level label file, in the order a data root is
#: searched for ``cls_labels.<ext>`` (see :func:`load_cls_labels`)
CLS_LABEL_SUFFIXES = ('.npy', '.npz', '.json')


def default_cls_labels(data_root):
    """``<data_root>/cls_labels.npy``, else the ``.npz`` / ``.json`` form
    when only that one exists."""
    for ext in CLS_LABEL_SUFFIXES:
        path = osp.join(data_root or '', 'cls_labels' + ext)
        if osp.isfile(path):
            return path
    return osp.join(data_root or '', 'cls_labels.npy')


def _describe(value):
    if isinstance(value, np.ndarray):
        return f'an array of {value.dtype} {value.shape}'
    return f'a {type(value).__name__}'


def load_cls_labels(path):
    """Load the image-level labels as a dict id -> float32 vector.

    Three forms, none of which can run code:

    * ``.npy``: ``np.save`` of a dict id -> float[K] (the form of IRN's
      ``cls_labels.npy``), read with an unpickler that builds numpy arrays
      and nothing else (:func:`mmwsss.utils.io.load_npy_no_code`);
    * ``.npz``: ``ids`` (str[N]) and ``labels`` (float[N, K]);
    * ``.json``: ``{"id": [0, 1, ...], ...}``.

    Anything else in the file (another object, a pickled callable, a
    non-numeric vector) is refused naming the file and what it held."""
    from mmwsss.utils.io import RefusedPickle, load_npy_no_code
    if not osp.isfile(path):
        raise FileNotFoundError(f'image-level label file not found: {path}')
    ext = osp.splitext(path)[1].lower()
    try:
        if ext == '.json':
            with open(path, encoding='utf-8') as f:
                data = json.load(f)
        elif ext == '.npz':
            with np.load(path, allow_pickle=False) as z:
                ids, table = z['ids'], z['labels']
            if ids.ndim != 1 or table.ndim != 2 or len(ids) != len(table):
                raise ValueError(f'{path}: expected "ids" (N) and "labels" '
                                 f'(N x K), got {ids.shape} and '
                                 f'{table.shape}')
            data = dict(zip(ids.tolist(), table))
        else:
            data = load_npy_no_code(path)
            data = data.item() if data.dtype == object and data.shape == () \
                else data
    except RefusedPickle as e:
        raise ValueError(
            f'{path}: refused, the file holds a pickled {e} (only a dict of '
            'id -> numeric vector is read; nothing of it was run). Use a '
            'label file you trust; its .npz / .json forms '
            '(tools/convert_cls_labels.py) need no unpickling') \
            from None
    except (OSError, ValueError, EOFError, KeyError, pickle.UnpicklingError,
            zipfile.BadZipFile, UnicodeDecodeError, TypeError) as e:
        if str(e).startswith(str(path)):
            raise
        raise ValueError(f'{path}: cannot read image-level labels, the file '
                         f'is truncated or corrupt ({type(e).__name__}: '
                         f'{e})') from e
    if not isinstance(data, dict):
        raise ValueError(f'{path}: expected a dict id -> float[C], got '
                         f'{_describe(data)}')
    table = {}
    for k, v in data.items():
        if not isinstance(k, str):
            raise ValueError(f'{path}: expected string ids, got '
                             f'{_describe(k)} ({k!r})')
        arr = np.asarray(v) if isinstance(v, (list, np.ndarray)) else None
        if arr is None or arr.dtype.kind not in 'biuf' or arr.ndim != 1:
            raise ValueError(f'{path}: the label of {k!r} is {_describe(v)}, '
                             'expected a 1-D vector of numbers')
        table[str(k)] = arr.astype(np.float32)
    return table


def save_cls_labels(path, table):
    """Write image-level labels (dict id -> multi-hot vector, all of one
    length) in the form named by the suffix of ``path`` (``.npz``,
    ``.json`` or ``.npy``, the forms :func:`load_cls_labels` reads),
    atomically."""
    table = {str(k): np.asarray(v, dtype=np.float32)
             for k, v in table.items()}
    lengths = {v.shape for v in table.values()}
    if len(lengths) > 1 or any(len(s) != 1 for s in lengths):
        raise ValueError(f'{path}: label vectors of different shapes '
                         f'{sorted(lengths)}')
    ids = sorted(table)
    ext = osp.splitext(path)[1].lower()
    with atomic_write(path) as tmp:
        if ext == '.npz':
            with open(tmp, 'wb') as f:
                np.savez(f, ids=np.array(ids, dtype=str), labels=np.stack(
                    [np.asarray(table[i], np.float32) for i in ids]))
        elif ext == '.json':
            with open(tmp, 'w') as f:
                json.dump({i: np.asarray(table[i]).tolist() for i in ids}, f)
        elif ext == '.npy':
            with open(tmp, 'wb') as f:
                np.save(f, {i: np.asarray(table[i], np.float32)
                            for i in ids}, allow_pickle=True)
        else:
            raise ValueError(f'{path}: unknown label file form; use .npz, '
                             '.json or .npy')


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
                default = cls_labels or default_cls_labels(data_root)
                if not osp.isfile(default):
                    raise ValueError('labels from masks need num_classes '
                                     f'(no {default} to read it from)')
                num_classes = next(iter(
                    load_cls_labels(default).values())).size
            self.mask_dir = root_path(data_root, mask_dir) if mask_dir \
                else default_gt_dir(data_root)
        else:
            self.file = cls_labels or default_cls_labels(data_root)
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


def image_labels_if_any(data_root, cls_labels=None):
    """:class:`ImageLabels` of ``cls_labels`` (default the root's label
    file) when that file exists, else None (a root without image-level
    labels, e.g. a test split)."""
    path = cls_labels or default_cls_labels(data_root)
    return ImageLabels(data_root, path) if osp.isfile(path) else None


def cam_label_keys(labels, img_id):
    """``(label_keys, label_file)`` for :func:`mmwsss.utils.io.load_cam_npz`
    (``(None, None)`` without labels or for an id they do not hold)."""
    if labels is None:
        return None, None
    try:
        return labels.keys(img_id), labels.file
    except KeyError:
        return None, None


# --------------------------------------------------------------------------
# class names
def _check_names(names, where):
    names = [str(n).strip() for n in names]
    if names and names[0].lower() == 'background':
        names = names[1:]          # a leading background entry is allowed
    if not names:
        raise ValueError(f'{where}: no class names')
    if any(not n for n in names):
        raise ValueError(f'{where}: an empty class name')
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f'{where}: class names listed twice: {dup}')
    if any(n.lower() == 'background' for n in names):
        raise ValueError(f"{where}: 'background' can only be the first "
                         'entry (class 0)')
    return ['background'] + names


def read_class_names(path):
    """Class names of a ``classes.txt``, background first.

    The file lists the foreground classes, one per line, in the order of
    the image-level label vectors (``cls_labels.npy``): line ``i`` names
    label-map value ``i``. A first line ``background`` is allowed (and
    means the same); blank lines and ``#`` comments are skipped.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'class name file not found: {path}')
    with open(path, encoding='utf-8-sig') as f:
        names = [line.split('#')[0].strip() for line in f]
    return _check_names([n for n in names if n], path)


def write_class_names(path, names):
    """Write the foreground ``names`` as a ``classes.txt``
    (atomically)."""
    names = _check_names(names, path)[1:]
    with atomic_write(path) as tmp:
        with open(tmp, 'w', encoding='utf-8') as f:
            f.write(''.join(n + '\n' for n in names))


def parse_classes(classes, data_root=None):
    """Class names, background first, from a class spec:

    * a built-in set's name, ``'voc'`` or ``'toy'``;
    * a path to a ``classes.txt`` (:func:`read_class_names`; a relative
      path is tried from the cwd, then under ``data_root``);
    * a sequence of names, or one string of comma-separated names
      (``'cat,dog,fox'``).

    Names are the foreground classes in label order; a leading
    ``'background'`` is allowed.
    """
    if isinstance(classes, str):
        if classes in CLASS_SETS:
            return list(CLASS_SETS[classes])
        if osp.isfile(classes):
            return read_class_names(classes)
        if data_root and osp.isfile(osp.join(data_root, classes)):
            return read_class_names(osp.join(data_root, classes))
        if ',' in classes:
            return _check_names(classes.split(','), 'class list '
                                f'{classes!r}')
        raise ValueError(
            f'classes {classes!r}: not a built-in set ({", ".join(CLASS_SETS)})'
            ', not an existing class name file, and not a comma-separated '
            'list of names')
    try:
        names = list(classes)
    except TypeError:
        raise ValueError(f'classes must be a name, a file or a list of names,'
                         f' got {classes!r}') from None
    return _check_names(names, 'class list')


def class_names_for(num_classes, data_root=None):
    """Foreground class names for K classes: those of
    ``<data_root>/classes.txt`` when there is one (it must hold K), else
    VOC's 20 or the toy set's 6 when K matches, else ``class1..classK``."""
    path = osp.join(data_root, CLASSES_FILE) if data_root else None
    if path and osp.isfile(path):
        names = read_class_names(path)[1:]
        if len(names) != num_classes:
            raise ValueError(f'{path} names {len(names)} classes but the '
                             f'image-level labels have {num_classes}')
        return names
    for names in (VOC_CLASSES, TOY_CLASSES):
        if len(names) - 1 == num_classes:
            return list(names[1:])
    return [f'class{i + 1}' for i in range(num_classes)]


def resolve_class_names(classes=None, num_classes=None, data_root=None):
    """Class names, background first.

    ``classes`` (any spec of :func:`parse_classes`: ``'voc'``, ``'toy'``,
    a ``classes.txt`` path, names) wins; else ``<data_root>/classes.txt``;
    else ``num_classes`` (with background) picks VOC's or the toy set's
    names when the count matches (else ``class1..``); else the length of
    ``<data_root>/cls_labels.npy`` plus one; else VOC's 21.
    """
    if classes is None and data_root is not None and osp.isfile(
            osp.join(data_root, CLASSES_FILE)):
        classes = osp.join(data_root, CLASSES_FILE)
    if classes is not None:
        names = parse_classes(classes)
        if num_classes is not None and num_classes != len(names):
            raise ValueError(f'classes {classes!r} has {len(names)} classes '
                             f'(with background) but --num-classes is '
                             f'{num_classes}')
        return names
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
