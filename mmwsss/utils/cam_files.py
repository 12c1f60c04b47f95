"""CAM files: ``cams/<id>.npz`` with ``keys`` (int64 present-class indices,
0-based over the foreground classes) and ``cams`` (float16, K x H x W,
values in [0, 1]). Written atomically; a corrupt file, non-finite values
or a CAM of a class the image-level label lacks is refused naming the
file."""
import os.path as osp
import pickle
import zipfile
import zlib

import numpy as np

from .atomic_files import atomic_write


def save_cam_npz(path, keys, cams):
    """Save CAMs: ``keys`` present-class indices (0-based, foreground only),
    ``cams`` float array K x H x W in [0, 1], stored as float16."""
    keys = np.asarray(keys, dtype=np.int64).reshape(-1)
    cams = np.asarray(cams, dtype=np.float32)
    if cams.ndim != 3 or cams.shape[0] != keys.size:
        raise ValueError(f'{path}: cams must be K x H x W with K = '
                         f'{keys.size} keys, got {cams.shape}')
    check_finite_cams(cams, keys, path)
    cams = np.clip(cams, 0.0, 1.0).astype(np.float16)
    with atomic_write(path) as tmp:
        with open(tmp, 'wb') as f:
            np.savez_compressed(f, keys=keys, cams=cams)


def check_finite_cams(cams, keys, path):
    """Raise naming ``path`` when the CAMs hold NaN or infinite values (a
    label made from them would be wrong without a word)."""
    bad = ~np.isfinite(cams)
    if bad.any():
        classes = [int(k) for k, b in zip(keys, bad.any(axis=(1, 2))) if b]
        raise ValueError(
            f'{path}: the CAMs hold {int(bad.sum())} non-finite value(s) '
            f'(NaN or inf) in the map(s) of class index(es) {classes}; '
            'no label is made from them: recompute this CAM file')


def check_cam_keys(path, keys, label_keys, label_file=None):
    """Raise naming ``path`` when a CAM is of a class that is not in the
    image's image-level label (``label_keys``, 0-based, from
    ``label_file``): it would be made into a label of that class."""
    extra = sorted(set(np.asarray(keys).tolist())
                   - set(np.asarray(label_keys).tolist()))
    if extra:
        raise ValueError(
            f'{path}: CAM(s) of class index(es) {extra} that the image-level '
            f'label does not hold (its classes: '
            f'{np.asarray(label_keys).tolist()}'
            + (f', from {label_file}' if label_file else '') + '); the CAMs '
            'were made with other labels: recompute them')


def load_cam_npz(path, label_keys=None, label_file=None):
    """Load ``(keys, cams)`` written by :func:`save_cam_npz` (cams float32).
    Non-finite values are refused; with ``label_keys`` (the image's
    classes) so is a CAM of another class (:func:`check_cam_keys`)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'CAM file not found: {path}')
    if osp.getsize(path) == 0:
        raise ValueError(f'{path}: empty file (0 bytes), not a CAM file')
    try:
        with np.load(path) as data:
            keys, cams = data['keys'], data['cams']
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile,
            zlib.error, pickle.UnpicklingError) as e:
        raise ValueError(f'{path}: not a readable CAM file with "keys" and '
                         f'"cams", truncated or corrupt '
                         f'({type(e).__name__}: {e})') from e
    if cams.ndim != 3 or keys.ndim != 1 or cams.shape[0] != keys.size:
        raise ValueError(f'{path}: CAM file holds {keys.size} keys but cams '
                         f'of shape {cams.shape} (expected K x H x W)')
    check_finite_cams(cams, keys, path)
    if label_keys is not None:
        check_cam_keys(path, keys, label_keys, label_file)
    return keys.astype(np.int64), cams.astype(np.float32)
