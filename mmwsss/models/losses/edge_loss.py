"""Class-balanced binary cross-entropy for sparse edge maps."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS


def balanced_bce(logits, target, valid=None):
    """HED's class-balanced BCE: ``0.5 * (mean BCE over edge pixels + mean
    BCE over non-edge pixels)`` over the batch, so thin edges are not
    drowned by the background. With no edge pixel it is the plain mean."""
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction='none')
    if valid is None:
        valid = torch.ones_like(target)
    pos = target * valid
    neg = (1 - target) * valid
    n_pos, n_neg = pos.sum(), neg.sum()
    if n_pos == 0 or n_neg == 0:
        return (bce * valid).sum() / valid.sum().clamp_min(1)
    return 0.5 * ((bce * pos).sum() / n_pos + (bce * neg).sum() / n_neg)


@MODELS.register_module()
class EdgeBCELoss(nn.Module):
    """BCE between an edge logit map and a {0, 1} edge target
    (``GenerateEdgeTarget``), class-balanced by default.

    Args:
        balanced (bool): HED class balancing (True) or the plain mean.
        loss_weight (float): Default 1.0.
        loss_name (str): Default 'loss_edge'.
    """

    def __init__(self, balanced=True, loss_weight=1.0, loss_name='loss_edge'):
        super().__init__()
        self.balanced = balanced
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self, pred, target, weight=None, ignore_index=255, **kwargs):
        """``pred`` (N, 1, H, W) logits; ``target`` (N, H, W) or
        (N, 1, H, W) in {0, 1} (``ignore_index`` ignored)."""
        if target.dim() == 3:
            target = target.unsqueeze(1)
        valid = (target != ignore_index).to(pred.dtype)
        if weight is not None:
            valid = valid * weight.view_as(valid)
        edge = (target == 1).to(pred.dtype)
        if self.balanced:
            loss = balanced_bce(pred, edge, valid)
        else:
            bce = F.binary_cross_entropy_with_logits(pred, edge,
                                                     reduction='none')
            loss = (bce * valid).sum() / valid.sum().clamp_min(1)
        return self.loss_weight * loss

    @property
    def loss_name(self):
        return self._loss_name
