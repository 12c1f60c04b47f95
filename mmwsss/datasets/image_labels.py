"""Image-level labels: ``<root>/cls_labels.npy`` (dict id -> float32[K],
no background; or its pickle-free ``.npz`` / ``.json`` forms, read without
running code) or labels derived from the ground-truth masks
(:class:`ImageLabels`)."""
import json
import os.path as osp
import pickle
import zipfile

import numpy as np

from mmwsss.utils.io import atomic_write, load_label_png

from .voc_paths import default_gt_dir, root_path


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
