"""File formats shared by the stages (see DESIGN.md).

* ``cams/<id>.npz``: ``keys`` (int64 present-class indices, 0-based over the
  20 foreground classes) and ``cams`` (float16, K x H x W, values in [0, 1]).
* label PNGs: palette (mode "P") PNGs with VOC's palette, 255 = ignore.
* saliency PNGs: uint8 grey, 0..255.

Every writer here is atomic: it writes a temporary file beside the target and
renames it, so an interrupted job never leaves a half-written output.
"""
import contextlib
import os
import os.path as osp
import tempfile

import numpy as np
from PIL import Image

def _voc_palette(n=256):
    palette = np.zeros((n, 3), dtype=np.uint8)
    for i in range(n):
        c, r, g, b = i, 0, 0, 0
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        palette[i] = (r, g, b)
    return palette


VOC_PALETTE = _voc_palette()


@contextlib.contextmanager
def atomic_write(path, suffix=None):
    """Yield a temporary path in the target's folder; rename it to ``path``
    when the block ends without error, delete it otherwise."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    suffix = suffix if suffix is not None else osp.splitext(path)[1]
    fd, tmp = tempfile.mkstemp(prefix='.tmp-', suffix=suffix, dir=folder)
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def save_label_png(path, label):
    """Save a uint8 label map as a VOC palette PNG, atomically."""
    label = np.asarray(label)
    if label.ndim != 2:
        raise ValueError(f'{path}: a label map must be 2-D, got {label.shape}')
    img = Image.fromarray(label.astype(np.uint8), mode='P')
    img.putpalette(VOC_PALETTE.flatten().tolist())
    with atomic_write(path) as tmp:
        img.save(tmp, format='PNG')


def load_label_png(path):
    """Read a label PNG (palette or grey) as a uint8 array of indices."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'label file not found: {path}')
    try:
        img = Image.open(path)
        if img.mode not in ('P', 'L'):
            raise ValueError(f'{path}: expected a palette or grey PNG of '
                             f'class indices, got mode {img.mode!r}')
        return np.array(img, dtype=np.uint8)
    except (OSError, SyntaxError) as e:
        raise ValueError(f'{path}: cannot read label PNG ({e})') from e


def save_grey_png(path, array):
    """Save a uint8 grey PNG (e.g. a saliency map), atomically."""
    array = np.asarray(array)
    if array.dtype != np.uint8 or array.ndim != 2:
        raise ValueError(f'{path}: expected a 2-D uint8 map, got '
                         f'{array.dtype} {array.shape}')
    with atomic_write(path) as tmp:
        Image.fromarray(array, mode='L').save(tmp, format='PNG')


def load_grey_png(path):
    """Read a grey PNG (saliency map) as uint8."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'saliency file not found: {path}')
    try:
        return np.array(Image.open(path).convert('L'), dtype=np.uint8)
    except (OSError, SyntaxError) as e:
        raise ValueError(f'{path}: cannot read PNG ({e})') from e


def save_cam_npz(path, keys, cams):
    """Save CAMs: ``keys`` present-class indices (0-based, foreground only),
    ``cams`` float array K x H x W in [0, 1], stored as float16."""
    keys = np.asarray(keys, dtype=np.int64).reshape(-1)
    cams = np.asarray(cams, dtype=np.float32)
    if cams.ndim != 3 or cams.shape[0] != keys.size:
        raise ValueError(f'{path}: cams must be K x H x W with K = '
                         f'{keys.size} keys, got {cams.shape}')
    cams = np.clip(cams, 0.0, 1.0).astype(np.float16)
    with atomic_write(path) as tmp:
        with open(tmp, 'wb') as f:
            np.savez_compressed(f, keys=keys, cams=cams)


def load_cam_npz(path):
    """Load ``(keys, cams)`` written by :func:`save_cam_npz` (cams float32)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'CAM file not found: {path}')
    try:
        with np.load(path) as data:
            keys, cams = data['keys'], data['cams']
    except (OSError, ValueError, KeyError) as e:
        raise ValueError(f'{path}: not a CAM file with "keys" and "cams" '
                         f'({e})') from e
    return keys.astype(np.int64), cams.astype(np.float32)


def read_image_list(path):
    """Read a split list (one id per line; VOC-style ``id`` or the
    ``JPEGImages/id.jpg SegmentationClass/id.png`` pair form)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'image list not found: {path}')
    ids = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                ids.append(osp.splitext(osp.basename(line.split()[0]))[0])
    if not ids:
        raise ValueError(f'image list is empty: {path}')
    return ids


def __getattr__(name):
    # the class names live in the VOC layout module (one definition)
    if name in ('VOC_CLASSES', 'TOY_CLASSES'):
        from mmwsss.datasets import voc_layout
        return getattr(voc_layout, name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
