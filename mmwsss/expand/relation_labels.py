"""Relation labels from CAMs (IRN's "inter-pixel relation" seeds). Pure numpy.

IRN (Ahn et al., "Weakly Supervised Learning of Instance Segmentation with
Inter-pixel Relations", CVPR 2019; ``step/cam_to_ir_label.py`` of its code)
marks three kinds of pixel from an image's CAMs:

* confident foreground: the argmax over {``relation_fg_thr`` plane, CAMs}
  is a class (its CAM exceeds ``relation_fg_thr``, IRN 0.30; a tie goes to
  the plane, as with IRN's ``np.argmax``) -> that class (1-based);
* confident background: the argmax over {``relation_bg_thr`` plane, CAMs}
  is the plane (no CAM above ``relation_bg_thr``, IRN 0.05) -> 0;
* everything else -> 255 (unknown, ignored when the relation network is
  trained).

IRN smooths each of the two label maps with a dense CRF before combining
them (``refine='crf'`` of :class:`mmwsss.expand.RelationLabelSettings`,
:func:`mmwsss.cam.dense_crf_label`); ``refine='par'`` refines the score
planes with the pixel-adaptive refinement instead, ``'none'`` combines the
raw argmax maps. :func:`combine_relation_label` applies IRN's rule to the
two maps.
"""
import numpy as np

#: IRN's thresholds (``conf_fg_thres`` / ``conf_bg_thres`` in run_sample.py)
DEFAULT_RELATION_FG_THR = 0.30
DEFAULT_RELATION_BG_THR = 0.05
IGNORE = 255


def plane_index(cams, thr):
    """Argmax over {constant plane ``thr``, CAMs} (K x H x W): 0 where the
    plane wins (ties go to the plane), k + 1 where CAM k wins."""
    cams = np.asarray(cams, dtype=np.float32)
    if cams.ndim != 3:
        raise ValueError(f'cams must be K x H x W, got {cams.shape}')
    if cams.shape[0] == 0:
        return np.zeros(cams.shape[1:], dtype=np.int64)
    scores = np.concatenate(
        [np.full((1, ) + cams.shape[1:], thr, np.float32), cams])
    return np.argmax(scores, axis=0)


def key_lut(keys):
    """Index (0 plane, k + 1 CAM k) -> label (0 background, keys[k] + 1)."""
    keys = np.asarray(keys, dtype=np.int64).reshape(-1)
    return np.concatenate([[0], keys + 1]).astype(np.uint8)


def plane_label(keys, cams, thr):
    """Argmax over {constant plane ``thr``, CAMs} -> uint8 labels: 0 where
    the plane wins (ties go to the plane), ``keys[k] + 1`` where CAM k wins.

    Args:
        keys (array): K present-class indices (0-based, foreground only).
        cams (array): K x H x W scores.
    """
    keys = np.asarray(keys, dtype=np.int64).reshape(-1)
    cams = np.asarray(cams, dtype=np.float32)
    if cams.ndim != 3 or cams.shape[0] != keys.size:
        raise ValueError(f'cams must be K x H x W with K = {keys.size}, got '
                         f'{cams.shape}')
    return key_lut(keys)[plane_index(cams, thr)]


def combine_relation_label(fg_label, bg_label):
    """IRN's rule: a class where the high-threshold map has one, 0 where both
    maps say background, 255 elsewhere."""
    fg_label = np.asarray(fg_label)
    bg_label = np.asarray(bg_label)
    if fg_label.shape != bg_label.shape:
        raise ValueError(f'label maps differ in shape: {fg_label.shape} vs '
                         f'{bg_label.shape}')
    out = fg_label.astype(np.uint8).copy()
    out[fg_label == 0] = IGNORE
    out[(fg_label == 0) & (bg_label == 0)] = 0
    return out


def relation_label(keys,
                   cams,
                   relation_fg_thr=DEFAULT_RELATION_FG_THR,
                   relation_bg_thr=DEFAULT_RELATION_BG_THR):
    """Relation label map (uint8: 0 background, c + 1 class c, 255 unknown)
    of CAMs ``cams`` (K x H x W in [0, 1]) of the classes ``keys``, without
    refinement."""
    if not relation_bg_thr <= relation_fg_thr:
        raise ValueError(
            f'relation_bg_thr ({relation_bg_thr}) must not exceed '
            f'relation_fg_thr ({relation_fg_thr})')
    return combine_relation_label(plane_label(keys, cams, relation_fg_thr),
                                  plane_label(keys, cams, relation_bg_thr))
