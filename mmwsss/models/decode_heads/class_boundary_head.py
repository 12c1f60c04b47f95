"""IRN's class-boundary branch as an mmseg decode head.

`Weakly Supervised Learning of Instance Segmentation with Inter-pixel
Relations <https://arxiv.org/abs/1904.05044>`_ (``net/resnet50_irn.py``,
``fc_edge1..6``): every selected backbone level goes through a 1x1 conv
(no bias), GroupNorm, an upsampling to the finest level's size and a ReLU;
the concatenation is mapped by a 1x1 conv (with bias) to one boundary logit
per cell of level ``out_level`` of the selected ones (default the first:
stride 4 on a ResNet). IRN's five branches read the stem (after its
max-pool, stride 4) and the four stages; a backbone whose stem level is
finer than the boundary map (EfficientNet-Lite's level 0, stride 2) is
reduced to it (bilinear, i.e. the mean of each 2 x 2 cell). Trained by
:class:`mmwsss.models.losses.PairwiseAffinityLoss` from relation labels (the
label map of each sample, read as ``gt_sem_seg``, reduced to the boundary
map's size with nearest neighbours as IRN does).

Shapes: inputs ``[B x C_i x H_i x W_i]`` -> boundary logits
B x 1 x H_o x W_o (o = ``out_level``).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS


@MODELS.register_module()
class ClassBoundaryHead(BaseDecodeHead):
    """Args:
        in_channels (list[int]): channels of the selected levels.
        in_index (list[int]): the levels of the backbone output.
        channels (int): width of each level's 1x1 conv (IRN: 32).
        num_groups (int): GroupNorm groups (IRN: 4).
        out_level (int): which selected level sets the boundary map's size
            (default 0, the first).
        loss_decode (dict): default ``PairwiseAffinityLoss`` of radius 10.
        **kwargs: other ``BaseDecodeHead`` arguments.
    """

    def __init__(self,
                 in_channels,
                 in_index,
                 channels=32,
                 num_groups=4,
                 out_level=0,
                 loss_decode=dict(type='PairwiseAffinityLoss', radius=10),
                 **kwargs):
        kwargs.setdefault('num_classes', 1)
        kwargs.setdefault('out_channels', 1)
        kwargs.setdefault('threshold', 0.5)
        kwargs.setdefault('dropout_ratio', 0.0)
        kwargs.setdefault('input_transform', 'multiple_select')
        super().__init__(
            in_channels=in_channels,
            in_index=in_index,
            channels=channels,
            loss_decode=loss_decode,
            **kwargs)
        if kwargs['input_transform'] != 'multiple_select':
            raise ValueError('ClassBoundaryHead reads several levels: '
                             "input_transform must be 'multiple_select'")
        if not 0 <= out_level < len(in_channels):
            raise ValueError(f'out_level {out_level} is not one of the '
                             f'{len(in_channels)} selected levels')
        self.out_level = out_level
        self.level_convs = nn.ModuleList(
            nn.Sequential(
                nn.Conv2d(c, channels, 1, bias=False),
                nn.GroupNorm(num_groups, channels)) for c in in_channels)
        self.conv_seg = nn.Conv2d(channels * len(in_channels),
                                  self.out_channels, 1, bias=True)

    def forward(self, inputs):
        """Multi-level features -> boundary logits B x 1 x H_o x W_o."""
        xs = self._transform_inputs(inputs)
        size = xs[self.out_level].shape[-2:]
        feats = []
        for x, conv in zip(xs, self.level_convs):
            y = conv(x)
            if y.shape[-2:] != size:
                y = F.interpolate(y, size=size, mode='bilinear',
                                  align_corners=self.align_corners)
            feats.append(F.relu(y))
        return self.cls_seg(torch.cat(feats, dim=1))

    def loss_by_feat(self, seg_logits, batch_data_samples):
        """Relation loss of the boundary logits against the samples' label
        maps (reduced to the logits' size, nearest)."""
        label = self._stack_batch_gt(batch_data_samples).float()
        label = F.interpolate(label, size=seg_logits.shape[-2:],
                              mode='nearest')[:, 0].long()
        losses = dict()
        for loss_decode in (self.loss_decode if isinstance(
                self.loss_decode, nn.ModuleList) else [self.loss_decode]):
            for name, value in loss_decode(seg_logits, label).items():
                losses[name] = losses.get(name, 0) + value
        return losses
