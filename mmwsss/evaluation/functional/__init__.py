"""Numpy evaluation drivers; the confusion-matrix metrics themselves live
in :mod:`mmwsss.utils.seg_metrics` (below the selector, whose sweeps use
them too) and are re-exported here."""
from mmwsss.utils.seg_metrics import (PRED_IGNORE_POLICIES, confusion_matrix,
                                      scores_from_confusion)

__all__ = ['PRED_IGNORE_POLICIES', 'confusion_matrix', 'scores_from_confusion']
