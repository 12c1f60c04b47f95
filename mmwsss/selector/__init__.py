"""The Salient Object Selector (stage 5): pure numpy, no OpenMMLab import.

See :mod:`mmwsss.selector.selector_core` (conventions and pieces),
:mod:`~mmwsss.selector.fusion_rules` (the rules),
:mod:`~mmwsss.selector.class_salience`,
:mod:`~mmwsss.selector.salient_object_selector` and ``docs/selector.md``.
"""
from .audit_log import (CHANGING_DECISIONS, LOG_FIELDS, decision_row,
                        format_row, header_line, label_changed, read_rows,
                        summarize)
from .class_salience import (class_rms_saliency, class_salience_norms,
                             image_salience_sample, load_norms, save_norms)
from .fusion_rules import (alpha_star_score, blend_label, fuse_hard,
                           fuse_soft, fuse_threshold, select_and_fuse,
                           soft_alpha, threshold_selects)
from .salient_object_selector import SalientObjectSelector
from .selector_core import (
    ALPHA_STAR_KINDS, DECISIONS, DEFAULT_FUSE_THR, DEFAULT_SAL_MASK_THR,
    DEFAULT_SALIENCE_THR, DEFAULT_T0, DEFAULT_T1, DEFAULT_TAU, DEFAULT_TAUS,
    MODES, RENAMED_SETTINGS, TABLE3_ALPHAS, binarize_saliency, cam_of_class,
    class_iou, compose_label, saliency_to_float, single_foreground_class)

__all__ = [
    'CHANGING_DECISIONS', 'LOG_FIELDS', 'decision_row', 'format_row',
    'header_line', 'label_changed', 'read_rows', 'summarize',
    'ALPHA_STAR_KINDS', 'DEFAULT_TAUS', 'alpha_star_score', 'blend_label',
    'fuse_threshold', 'threshold_selects', 'DECISIONS', 'DEFAULT_FUSE_THR',
    'DEFAULT_SAL_MASK_THR', 'DEFAULT_SALIENCE_THR', 'DEFAULT_T0', 'DEFAULT_T1',
    'DEFAULT_TAU', 'MODES', 'RENAMED_SETTINGS', 'TABLE3_ALPHAS',
    'SalientObjectSelector', 'binarize_saliency', 'cam_of_class', 'class_iou',
    'class_rms_saliency', 'class_salience_norms', 'compose_label', 'fuse_hard',
    'fuse_soft', 'image_salience_sample', 'load_norms', 'saliency_to_float',
    'save_norms', 'select_and_fuse', 'single_foreground_class', 'soft_alpha'
]
