"""Pure CAM maths (torch / numpy, no OpenMMLab import): multi-scale CAMs,
normalisation, CAM -> label, pixel-adaptive refinement."""
from .cam_to_label import (DEFAULT_BG_THRESHOLDS, cam_scores_with_background,
                           cam_to_label, scores_to_label)
from .multiscale import (DEFAULT_SCALES, class_activation, multiscale_cam,
                         normalize_cams, scaled_size)
from .pixel_adaptive_refinement import (neighbour_offsets, par_affinity,
                                        pixel_adaptive_refine)

__all__ = [
    'DEFAULT_BG_THRESHOLDS', 'cam_scores_with_background', 'cam_to_label',
    'scores_to_label', 'DEFAULT_SCALES', 'class_activation',
    'multiscale_cam', 'normalize_cams', 'scaled_size', 'neighbour_offsets',
    'par_affinity', 'pixel_adaptive_refine'
]
