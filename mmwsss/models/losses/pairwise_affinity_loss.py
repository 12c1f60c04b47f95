"""IRN's inter-pixel relation loss on a class-boundary map.

For every pixel pair within ``radius`` (IRN: 10 at stride 4; see
:func:`mmwsss.expand.path_affinity.search_paths`) the affinity is ``1 -`` the
largest boundary probability on the path between them. Pairs with the same
known relation label should have affinity 1, pairs with different known
labels affinity 0; pairs with an unknown (255) pixel are ignored. As in IRN
(``net/resnet50_irn.py: AffinityDisplacementLoss`` and ``step/train_irn.py``)::

    pos = (mean_bg_pairs -log(a) + mean_fg_pairs -log(a)) / 2
    neg = mean_neg_pairs -log(1 - a)
    loss = (pos + neg) / 2

returned as three weighted terms (``loss_pos_bg``, ``loss_pos_fg``,
``loss_neg``) that sum to ``loss_weight * loss``.
"""
import torch
import torch.nn as nn
from mmseg.registry import MODELS

from mmwsss.expand.path_affinity import pair_labels, path_affinity

_EPS = 1e-5


def _masked_mean(loss, mask):
    mask = mask.to(loss.dtype)
    return (loss * mask).sum() / (mask.sum() + _EPS)


@MODELS.register_module()
class PairwiseAffinityLoss(nn.Module):
    """Args:
        radius (int): pair radius in cells of the boundary map (IRN: 10).
        ignore_index (int): unknown label. Default 255.
        loss_weight (float): scale of the whole loss. Default 1.0.
    """

    def __init__(self, radius=10, ignore_index=255, loss_weight=1.0):
        super().__init__()
        self.radius = int(radius)
        self.ignore_index = ignore_index
        self.loss_weight = loss_weight

    def forward(self, boundary_logits, label):
        """Args:
            boundary_logits (Tensor): B x 1 x H x W (or B x H x W) logits.
            label (Tensor): B x H x W relation labels at the same size.

        Returns:
            dict[str, Tensor]: ``loss_pos_bg``, ``loss_pos_fg``, ``loss_neg``.
        """
        if boundary_logits.dim() == 4:
            boundary_logits = boundary_logits[:, 0]
        if boundary_logits.shape != label.shape:
            raise ValueError(f'boundary {tuple(boundary_logits.shape)} and '
                             f'label {tuple(label.shape)} differ in size')
        aff = path_affinity(torch.sigmoid(boundary_logits.float()),
                            self.radius)
        with torch.no_grad():
            bg_pos, fg_pos, neg = pair_labels(label.long(), self.radius,
                                              self.ignore_index)
        w = self.loss_weight
        return dict(
            loss_pos_bg=w / 4 * _masked_mean(-torch.log(aff + _EPS), bg_pos),
            loss_pos_fg=w / 4 * _masked_mean(-torch.log(aff + _EPS), fg_pos),
            loss_neg=w / 2 * _masked_mean(-torch.log(1 + _EPS - aff), neg))
