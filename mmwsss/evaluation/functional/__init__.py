from .seg_metrics import (PRED_IGNORE_POLICIES, confusion_matrix,
                          scores_from_confusion)

__all__ = ['PRED_IGNORE_POLICIES', 'confusion_matrix', 'scores_from_confusion']
