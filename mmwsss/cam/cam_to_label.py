"""CAMs -> label map (stage 3): a constant background plane, argmax over
{background, present classes} (IRN's evaluation protocol). Pure numpy."""
import numpy as np

#: background thresholds swept by ``tools/eval_cam.py``: 0.05, 0.10, .., 0.60
DEFAULT_BG_THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(1, 13))


def cam_scores_with_background(cams, cam_thr):
    """Stack a constant background plane ``cam_thr`` on top of the K class
    maps: (K + 1) x H x W float32, plane 0 = background."""
    cams = np.asarray(cams, dtype=np.float32)
    if cams.ndim != 3:
        raise ValueError(f'cams must be K x H x W, got shape {cams.shape}')
    bg = np.full((1, ) + cams.shape[1:], cam_thr, dtype=np.float32)
    return np.concatenate([bg, cams], axis=0)


def scores_to_label(scores, keys):
    """Argmax over (K + 1) planes (plane 0 = background) -> label map with
    class ``keys[k] + 1`` for plane ``k + 1`` and 0 for background; ties go
    to the earlier plane (background first)."""
    keys = np.asarray(keys, dtype=np.int64).reshape(-1)
    if scores.shape[0] != keys.size + 1:
        raise ValueError(f'{scores.shape[0]} score planes for {keys.size} '
                         'classes (+ background)')
    lut = np.concatenate([[0], keys + 1]).astype(np.uint8)
    return lut[np.argmax(scores, axis=0)]


def cam_to_label(keys, cams, cam_thr):
    """Label map (uint8, 0 = background, c + 1 = foreground class c) of
    CAMs ``cams`` (K x H x W in [0, 1]) of the classes ``keys`` (0-based):
    a pixel takes the class with the largest CAM, or background when no CAM
    exceeds ``cam_thr``."""
    return scores_to_label(cam_scores_with_background(cams, cam_thr), keys)
