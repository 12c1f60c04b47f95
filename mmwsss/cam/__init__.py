"""Pure CAM maths (torch / numpy, no OpenMMLab import): multi-scale CAMs,
normalisation, CAM -> label, pixel-adaptive refinement, dense CRF (optional
``pydensecrf2``, imported only when called)."""
from .cam_to_label import (DEFAULT_BG_THRESHOLDS, cam_scores_with_background,
                           cam_to_label, scores_to_label)
from .dense_crf import dense_crf_available, dense_crf_refine
from .multiscale import (DEFAULT_SCALES, class_activation, multiscale_cam,
                         normalize_cams, scaled_size)
from .pixel_adaptive_refinement import (neighbour_offsets, par_affinity,
                                        pixel_adaptive_refine)

__all__ = [
    'DEFAULT_BG_THRESHOLDS', 'cam_scores_with_background', 'cam_to_label',
    'scores_to_label', 'DEFAULT_SCALES', 'class_activation',
    'multiscale_cam', 'normalize_cams', 'scaled_size', 'neighbour_offsets',
    'par_affinity', 'pixel_adaptive_refine', 'dense_crf_available',
    'dense_crf_refine'
]
