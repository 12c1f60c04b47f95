"""Edge-aware modules R1-R4 between the encoder and the PATM decoder."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmseg.models.utils import resize
from mmseg.registry import MODELS


class EdgeAwareOutputs(tuple):
    """What :class:`EdgeAwareNeck` hands to the decoder, by name.

    A tuple of the four refined stages (fine to coarse, so a decode head's
    ``in_index`` selects them as usual) that also carries the edge branch's
    outputs as attributes:

    * ``edge_feat``: edge features, ``(N, edge_channels, H/4, W/4)``, or
      ``None`` without the edge branch;
    * ``edge_logit``: edge logit, ``(N, 1, H/4, W/4)``, or ``None``.
    """

    def __new__(cls, stages, edge_feat=None, edge_logit=None):
        self = super().__new__(cls, stages)
        self.edge_feat = edge_feat
        self.edge_logit = edge_logit
        return self

    @property
    def with_edge(self):
        return self.edge_feat is not None


class EdgeAwareModule(nn.Module):
    """R1-R3: reduce a stage to ``channels`` and amplify its boundaries.

    The high-frequency part of the features, ``x - avgpool3x3(x)``, is
    turned into a per-pixel, per-channel gate in (0, 1) and
    ``x + x * gate`` is returned, so that detail at object boundaries is
    emphasised before decoding.
    """

    def __init__(self, in_channels, channels, conv_cfg=None,
                 norm_cfg=dict(type='BN'), act_cfg=dict(type='ReLU')):
        super().__init__()
        self.reduce = ConvModule(in_channels, channels, 3, padding=1,
                                 conv_cfg=conv_cfg, norm_cfg=norm_cfg,
                                 act_cfg=act_cfg)
        self.gate = ConvModule(channels, channels, 3, padding=1,
                               conv_cfg=conv_cfg, norm_cfg=norm_cfg,
                               act_cfg=None)

    def forward(self, x):
        x = self.reduce(x)
        detail = x - F.avg_pool2d(x, 3, stride=1, padding=1,
                                  count_include_pad=False)
        return x + x * torch.sigmoid(self.gate(detail))


class RGBEdgeAwareModule(nn.Module):
    """R4: edge-aware refinement of the last stage that also predicts the
    edge map.

    Low-level detail (the high-frequency part of stage-1 features) is gated
    by the high-level features (stage 4, upsampled): only boundaries of what
    the deep features consider an object survive. A 3x3 conv gives the edge
    features and a 1x1 conv the edge logit at stage-1 resolution. The edge
    features, pooled to stage-4 size, are added to the refined stage 4.

    Returns ``(refined stage 4, edge features, edge logit)``.
    """

    def __init__(self, in_channels, low_channels, channels, edge_channels,
                 conv_cfg=None, norm_cfg=dict(type='BN'),
                 act_cfg=dict(type='ReLU')):
        super().__init__()
        kw = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg)
        self.refine = EdgeAwareModule(in_channels, channels, act_cfg=act_cfg,
                                      **kw)
        self.low = ConvModule(low_channels, edge_channels, 3, padding=1,
                              act_cfg=act_cfg, **kw)
        self.high_gate = ConvModule(channels, edge_channels, 1, act_cfg=None,
                                    **kw)
        self.edge_conv = ConvModule(edge_channels, edge_channels, 3,
                                    padding=1, act_cfg=act_cfg, **kw)
        self.edge_pred = nn.Conv2d(edge_channels, 1, 1)
        self.edge_to_high = ConvModule(edge_channels, channels, 1,
                                       act_cfg=act_cfg, **kw)

    def forward(self, high, low):
        high = self.refine(high)
        low = self.low(low)
        low = low - F.avg_pool2d(low, 3, stride=1, padding=1,
                                 count_include_pad=False)
        gate = torch.sigmoid(self.high_gate(
            resize(high, size=low.shape[2:], mode='bilinear',
                   align_corners=False)))
        edge_feat = self.edge_conv(low * gate)
        edge_logit = self.edge_pred(edge_feat)
        high = high + self.edge_to_high(
            F.adaptive_avg_pool2d(edge_feat, high.shape[2:]))
        return high, edge_feat, edge_logit


@MODELS.register_module()
class EdgeAwareNeck(BaseModule):
    """Edge-aware modules R1-R4, one per encoder stage.

    R1-R3 are :class:`EdgeAwareModule`; R4 is the RGB-edge-aware module
    (:class:`RGBEdgeAwareModule`), which predicts an edge map from stage-1
    detail gated by stage-4 semantics. Works with any 4-stage backbone
    (Swin, ResNet, ...) given its ``in_channels``.

    Outputs, an :class:`EdgeAwareOutputs`: the four refined stages
    (``channels`` each, strides of the input stages) as a tuple, and, by
    name, ``edge_feat`` (``edge_channels``, stage-1 size) and ``edge_logit``
    (1 channel, stage-1 size). With ``with_edge=False`` R4 is a plain
    edge-aware module and both are ``None``: the ablation without the edge
    branch is this one switch (``model.neck.with_edge=False``);
    :class:`~mmwsss.models.segmentors.SODEncoderDecoder` builds the decode
    head to match.

    Args:
        in_channels (Sequence[int]): channels of the 4 backbone stages.
        channels (int): output channels of every stage.
        edge_channels (int): width of the edge branch.
        with_edge (bool): build R4 as the RGB-edge-aware module.
    """

    def __init__(self, in_channels, channels, edge_channels=32,
                 with_edge=True, conv_cfg=None, norm_cfg=dict(type='BN'),
                 act_cfg=dict(type='ReLU'), init_cfg=None):
        super().__init__(init_cfg)
        if len(in_channels) != 4:
            raise ValueError('EdgeAwareNeck needs the 4 stages of the '
                             f'backbone, got in_channels={in_channels}')
        self.in_channels = list(in_channels)
        self.channels = channels
        self.with_edge = with_edge
        self.edge_channels = edge_channels if with_edge else None
        kw = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.r_modules = nn.ModuleList(
            EdgeAwareModule(c, channels, **kw) for c in in_channels[:3])
        if with_edge:
            self.r4 = RGBEdgeAwareModule(in_channels[3], in_channels[0],
                                         channels, edge_channels, **kw)
        else:
            self.r4 = EdgeAwareModule(in_channels[3], channels, **kw)

    def forward(self, inputs):
        if len(inputs) != 4:
            raise ValueError(f'EdgeAwareNeck got {len(inputs)} feature maps; '
                             'set the backbone to output its 4 stages')
        outs = [r(x) for r, x in zip(self.r_modules, inputs[:3])]
        if not self.with_edge:
            return EdgeAwareOutputs(outs + [self.r4(inputs[3])])
        high, edge_feat, edge_logit = self.r4(inputs[3], inputs[0])
        return EdgeAwareOutputs(outs + [high], edge_feat, edge_logit)
