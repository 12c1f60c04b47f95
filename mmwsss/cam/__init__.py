"""Pure CAM maths (no OpenMMLab import): multi-scale CAMs, normalisation
(torch), CAM -> label (numpy), pixel-adaptive refinement (torch), dense CRF
(optional ``pydensecrf2``).

Names are resolved lazily: ``from mmwsss.cam import cam_to_label`` does not
import torch.
"""
from mmwsss.utils.lazy import lazy_getattr

# numpy only: imported eagerly (the function ``cam_to_label`` must win over
# the submodule of the same name)
from .cam_to_label import (DEFAULT_BG_THRESHOLDS, cam_scores_with_background,
                           cam_to_label, scores_to_label)

_NAMES = {
    'multiscale': ('DEFAULT_SCALES', 'class_activation', 'multiscale_cam',
                   'normalize_cams', 'scaled_size'),
    'pixel_adaptive_refinement': ('neighbour_offsets', 'par_affinity',
                                  'pixel_adaptive_refine'),
    'dense_crf': ('dense_crf_available', 'dense_crf_label',
                  'dense_crf_refine'),
}
_WHERE = {n: m for m, names in _NAMES.items() for n in names}
__all__ = sorted(_WHERE) + [
    'DEFAULT_BG_THRESHOLDS', 'cam_scores_with_background', 'cam_to_label',
    'scores_to_label'
]

__getattr__ = lazy_getattr(__name__, _WHERE)
