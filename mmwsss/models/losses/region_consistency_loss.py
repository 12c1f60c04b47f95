"""Region consistency of a saliency map (the NAMLab stand-in's loss)."""
import torch
import torch.nn as nn
from mmseg.registry import MODELS


def region_consistency(prob, regions):
    """Mean squared deviation of ``prob`` from its mean over the region of
    each pixel: 0 when the map is constant inside every region.

    Args:
        prob (Tensor): (N, 1, H, W) probabilities.
        regions (Tensor): (N, 1, H, W) integer region ids (per image).
    """
    n = prob.shape[0]
    p = prob.reshape(n, -1)
    r = regions.reshape(n, -1).long()
    num = int(r.max()) + 1
    sums = p.new_zeros(n, num).scatter_add_(1, r, p)
    counts = p.new_zeros(n, num).scatter_add_(1, r, torch.ones_like(p))
    means = sums / counts.clamp_min(1)
    return ((p - means.gather(1, r)) ** 2).mean()


@MODELS.register_module()
class RegionConsistencyLoss(nn.Module):
    """Asks the saliency map to be uniform inside unsupervised image regions
    (``GenerateRegionMap``), which pulls its boundaries onto colour edges.
    A stand-in for the paper's NAMLab region supervision; off by default.

    Args:
        loss_weight (float): Default 0.1.
        loss_name (str): Default 'loss_region'.
    """

    def __init__(self, loss_weight=0.1, loss_name='loss_region'):
        super().__init__()
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self, pred, regions, **kwargs):
        """``pred`` (N, 1, H, W) logits, ``regions`` (N, 1, H, W) ids."""
        return self.loss_weight * region_consistency(torch.sigmoid(pred),
                                                     regions)

    @property
    def loss_name(self):
        return self._loss_name
