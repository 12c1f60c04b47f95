"""What both IRN steps read of an image: its RGB pixels and its CAMs
(checked against the image-level label), and the label of a score
argmax."""
import os.path as osp

import numpy as np

from mmwsss.utils import load_cam_npz


def _read_rgb(path):
    from mmwsss.utils.io import read_image  # strict, EXIF ignored
    return np.ascontiguousarray(read_image(path)[..., ::-1])


def _argmax_label(keys, scores):
    lut = np.concatenate([[0], np.asarray(keys) + 1]).astype(np.uint8)
    return lut[np.argmax(scores, axis=0)]


def _load_cams(cam_path, img_id, label_keys):
    """``(keys, cams)``; CAMs of classes outside ``label_keys(img_id)``
    are refused, naming the file (:func:`load_cam_npz`)."""
    return load_cam_npz(cam_path,
                        *(label_keys(img_id) if label_keys else (None, None)))


def _check_cams(ids, cam_dir):
    if not osp.isdir(cam_dir):
        raise FileNotFoundError(f'CAM folder not found: {cam_dir}')
    missing = [i for i in ids if not osp.isfile(osp.join(cam_dir, i + '.npz'))]
    if missing:
        raise FileNotFoundError(
            f'{len(missing)} of {len(ids)} images have no CAM file in '
            f'{cam_dir}, e.g. {osp.join(cam_dir, missing[0] + ".npz")}')
