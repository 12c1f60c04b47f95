"""Image-level labels: ``cls_labels.npy`` (dict id -> float32[20], no
background, from VOC's XML annotations) or derived from a mask."""
import os.path as osp

import numpy as np


def load_cls_labels(path):
    """Load ``cls_labels.npy`` as a dict id -> float32 vector."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'image-level label file not found: {path}')
    try:
        data = np.load(path, allow_pickle=True)
        data = data.item() if data.dtype == object and data.shape == () \
            else data
    except (OSError, ValueError) as e:
        raise ValueError(f'{path}: cannot read image-level labels ({e})') \
            from e
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
