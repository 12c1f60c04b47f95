"""Structure loss of F3Net: boundary-weighted BCE + weighted IoU."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS


def structure_loss(logits, mask, valid=None, kernel_size=31, boundary_weight=5.0):
    """F3Net's structure loss per image, averaged over the batch.

    ``w = 1 + boundary_weight * |avgpool_k(mask) - mask|`` is large near
    boundaries; the loss is ``sum(w * BCE) / sum(w)`` plus the weighted IoU
    loss ``1 - (sum(w p m) + 1) / (sum(w (p + m)) - sum(w p m) + 1)`` with
    ``p = sigmoid(logits)``.

    Args:
        logits (Tensor): (N, 1, H, W) raw scores.
        mask (Tensor): (N, 1, H, W) float target in {0, 1}.
        valid (Tensor, optional): (N, 1, H, W) 1 where the target counts.
    """
    pad = kernel_size // 2
    weight = 1 + boundary_weight * torch.abs(
        F.avg_pool2d(mask, kernel_size, stride=1, padding=pad) - mask)
    if valid is not None:
        weight = weight * valid
    bce = F.binary_cross_entropy_with_logits(logits, mask, reduction='none')
    wbce = (weight * bce).sum(dim=(2, 3)) / weight.sum(dim=(2, 3)).clamp_min(1e-6)
    prob = torch.sigmoid(logits)
    inter = (prob * mask * weight).sum(dim=(2, 3))
    union = ((prob + mask) * weight).sum(dim=(2, 3))
    wiou = 1 - (inter + 1) / (union - inter + 1)
    return (wbce + wiou).mean()


@MODELS.register_module()
class StructureLoss(nn.Module):
    """Weighted BCE + weighted IoU (F3Net) for a single-channel saliency head.

    Args:
        kernel_size (int): window of the local mean that finds boundaries
            (31 in F3Net at 352 px; scale it with the input size).
        boundary_weight (float): extra weight at boundaries (5).
        loss_weight (float): Default 1.0.
        loss_name (str): Default 'loss_structure'.
    """

    def __init__(self, kernel_size=31, boundary_weight=5.0, loss_weight=1.0,
                 loss_name='loss_structure'):
        super().__init__()
        self.kernel_size = kernel_size
        self.boundary_weight = boundary_weight
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self, pred, target, weight=None, ignore_index=255, **kwargs):
        """``pred`` (N, 1, H, W) logits; ``target`` (N, H, W) or
        (N, 1, H, W) labels in {0, 1} (``ignore_index`` ignored)."""
        if target.dim() == 3:
            target = target.unsqueeze(1)
        valid = (target != ignore_index).to(pred.dtype)
        mask = (target == 1).to(pred.dtype)
        if weight is not None:
            valid = valid * weight.view_as(valid)
        return self.loss_weight * structure_loss(
            pred, mask, valid, self.kernel_size, self.boundary_weight)

    @property
    def loss_name(self):
        return self._loss_name
