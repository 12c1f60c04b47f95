"""DeepLabV2 decode head: ASPP of dilated 3x3 convs, summed.

`DeepLab: Semantic Image Segmentation with Deep Convolutional Nets, Atrous
Convolution, and Fully Connected CRFs <https://arxiv.org/abs/1606.00915>`_.

Each branch is a 3x3 convolution with dilation 6, 12, 18 or 24 that maps the
backbone feature directly to class scores; the branch outputs are summed
(the ASPP-L classifier as used by the WSSS literature's DeepLab-v2 setups).
mmseg has DeepLabV3's ASPP (concatenation + 1x1 projection) but not this one.
"""
import torch.nn as nn
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS


@MODELS.register_module()
class ASPPV2Head(BaseDecodeHead):
    """DeepLabV2 ASPP head.

    Args:
        dilations (tuple[int]): dilation of each 3x3 branch.
            Default: (6, 12, 18, 24).
        channels (int, optional): unused by the branches, which predict
            class scores directly; kept for mmseg's head interface.
            Default: ``in_channels``.
        dropout_ratio (float): dropout on the input feature before the
            branches. Default: 0 (DeepLabV2 has no dropout there).
        **kwargs: the arguments of mmseg's ``BaseDecodeHead`` (``in_channels``,
            ``in_index``, ``num_classes``, ``loss_decode``, ...).
    """

    def __init__(self, dilations=(6, 12, 18, 24), **kwargs):
        if 'channels' not in kwargs:
            kwargs['channels'] = kwargs.get('in_channels')
        kwargs.setdefault('dropout_ratio', 0.0)
        kwargs.setdefault(
            'init_cfg',
            dict(type='Normal', std=0.01, override=dict(name='aspp_convs')))
        super().__init__(**kwargs)
        if not isinstance(self.in_channels, int):
            raise ValueError('ASPPV2Head takes a single feature map '
                             f'(in_channels={self.in_channels})')
        if not dilations:
            raise ValueError('ASPPV2Head needs at least one dilation')
        self.dilations = tuple(dilations)
        # the branches predict classes themselves: no final 1x1 classifier
        del self.conv_seg
        self.aspp_convs = nn.ModuleList(
            nn.Conv2d(
                self.in_channels,
                self.out_channels,
                kernel_size=3,
                padding=d,
                dilation=d,
                bias=True) for d in self.dilations)

    def forward(self, inputs):
        x = self._transform_inputs(inputs)
        if self.dropout is not None:
            x = self.dropout(x)
        out = self.aspp_convs[0](x)
        for conv in self.aspp_convs[1:]:
            out = out + conv(x)
        return out
