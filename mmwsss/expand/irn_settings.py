"""The settings of IRN's two per-image steps (relation labels, random
walk) and the record of them each step writes in its output folder
(``<out>/expand_settings.json``)."""
import dataclasses
import json
import os
import os.path as osp

from mmwsss.utils.io import atomic_write

from .random_walk import DEFAULT_BETA, DEFAULT_EXP_TIMES, DEFAULT_RADIUS
from .relation_labels import DEFAULT_RELATION_BG_THR, DEFAULT_RELATION_FG_THR

#: refinements of the two thresholded maps of step 1
REFINEMENTS = ('none', 'crf', 'par')
#: IRN's background threshold of the propagated maps (sem_seg_bg_thres)
DEFAULT_WALK_BG_THR = 0.25


@dataclasses.dataclass
class RelationLabelSettings:
    """Settings of step 1 (IRN's values by default).

    Attributes:
        relation_fg_thr: CAM score of confident foreground (IRN
            ``conf_fg_thres``).
        relation_bg_thr: CAM score below which every class is confident
            background (IRN ``conf_bg_thres``).
        refine: ``'none'``, ``'crf'`` (IRN: each of the two argmax maps
            smoothed by IRN's label CRF, :func:`mmwsss.cam.dense_crf_label`;
            needs pydensecrf2) or ``'par'`` (both score stacks {plane, CAMs}
            refined by the pixel-adaptive refinement before the argmax).
        par_iters: PAR steps.
        crf_scale: image scale at which ``refine='crf'`` runs (1, IRN: the
            image's own size). Below 1 the image and the two label maps are
            resized by it (area / nearest), the CRF's spatial stds are
            multiplied by it (the kernels span the same part of the
            picture) and the result is resized back (nearest): 0.5 costs
            about a quarter of the full-size CRF (see
            :func:`mmwsss.cam.dense_crf.dense_crf_label_scaled`).
        img_suffix: image file suffix (for ``refine='par'`` / ``'crf'``).
    """
    relation_fg_thr: float = DEFAULT_RELATION_FG_THR
    relation_bg_thr: float = DEFAULT_RELATION_BG_THR
    refine: str = 'none'
    par_iters: int = 10
    crf_scale: float = 1.0
    img_suffix: str = '.jpg'


@dataclasses.dataclass
class RandomWalkSettings:
    """Settings of step 3 (IRN's values by default).

    Attributes:
        radius: neighbourhood of the walk, in boundary-map cells (IRN 5).
        beta: power of the affinities (IRN 10).
        exp_times: the walk takes ``2 ** exp_times`` steps (IRN 8).
        ref_cells: None (IRN): the steps above for every image. A number:
            ``2 ** exp_times`` steps on a boundary map of ``ref_cells``
            cells, in proportion to its cell count on the others
            (:func:`mmwsss.expand.random_walk.walk_steps`; e.g. 11750, a
            500 x 375 VOC image at stride 4, keeps IRN's walk on VOC).
        walk_bg_thr: background score after the walk (IRN
            ``sem_seg_bg_thres`` 0.25), the walked maps being divided by
            their maximum.
        bg_power: None (IRN): the background is the constant
            ``walk_bg_thr``. A number p: a background plane
            ``(1 - max_c CAM_c) ** p`` walks with the CAMs (the later
            IRN-based methods' variant) and ``walk_bg_thr`` is not used.
        flip: average the boundary logits of the image and its mirror (IRN).
        device: torch device of the network and the walk.
        img_suffix: image file suffix.
    """
    radius: int = DEFAULT_RADIUS
    beta: float = DEFAULT_BETA
    exp_times: int = DEFAULT_EXP_TIMES
    ref_cells: float = None
    walk_bg_thr: float = DEFAULT_WALK_BG_THR
    bg_power: float = None
    flip: bool = True
    device: str = 'cpu'
    img_suffix: str = '.jpg'


def _record_settings(out_dir, step, settings, **extra):
    os.makedirs(out_dir, exist_ok=True)
    record = dict(step=step, settings=dataclasses.asdict(settings), **extra)
    with atomic_write(osp.join(out_dir, 'expand_settings.json')) as tmp:
        with open(tmp, 'w') as f:
            json.dump(record, f, indent=2)
