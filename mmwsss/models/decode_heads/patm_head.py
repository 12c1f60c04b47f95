"""Top-down decoder of PATM blocks for salient object detection."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule, build_norm_layer
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.utils import resize
from mmseg.registry import MODELS

from ..utils import PATMBlock


@MODELS.register_module()
class PATMHead(BaseDecodeHead):
    """Four PATM stages joined top-down by transposed convolutions.

    Level 4 (the coarsest input) goes through PATM blocks; each finer level
    ``i`` takes the transposed-conv (k=2, s=2) upsampling of level ``i+1``,
    concatenates it with its own input (and, at the levels of
    ``edge_levels``, with the neck's edge features, ``inputs.edge_feat``,
    resized to that level),
    fuses with a 1x1 conv and applies PATM blocks. A
    1x1 classifier on every level gives side outputs; the level-1 one
    (``conv_seg``) is the saliency logit, resized to the input size by
    ``predict``. With ``out_channels=1`` mmseg's segmentors turn it into
    sigmoid probabilities in ``seg_logits``.

    Losses (``loss``): ``loss_decode`` (e.g. ``StructureLoss``) on the main
    output and, weighted by ``side_loss_weights`` (levels 2, 3, 4), on the
    side outputs; ``loss_edge`` (e.g. ``EdgeBCELoss``) between the neck's
    edge logit (``inputs.edge_logit``) and ``gt_edge_map``
    (``GenerateEdgeTarget``);
    ``loss_region`` (e.g. ``RegionConsistencyLoss``, off by default) on the
    main output and ``gt_region_map`` (``GenerateRegionMap``).

    Args:
        in_channels (Sequence[int]): channels of the 4 selected inputs.
        channels (int): decoder width.
        in_index (Sequence[int]): the 4 inputs, fine to coarse.
        num_blocks (int): PATM blocks per level.
        mlp_ratio (float), kernel_size (int), drop_path (float): PATM blocks.
        edge_channels (int, optional): width of the neck's edge features;
            ``None``: no edge branch (the edge inputs and ``loss_edge`` are
            not used). ``SODEncoderDecoder`` sets it from the neck
            (``EdgeAwareNeck.with_edge`` / ``edge_channels``), so configs
            leave it out.
        edge_levels (Sequence[int]): decoder levels (0 = finest .. 2) that
            concatenate the edge features. Default (0, 1, 2).
        side_loss_weights (Sequence[float]): weights of the level 2-4 side
            losses.
        loss_edge (dict, optional): loss on the edge logit; built only
            with the edge branch.
        loss_region (dict, optional): region loss on the main output.
        **kwargs: ``BaseDecodeHead`` arguments (``num_classes=2``,
            ``out_channels=1``, ``threshold``, ``norm_cfg``, ...).
    """

    def __init__(self,
                 in_channels,
                 channels,
                 in_index=(0, 1, 2, 3),
                 num_blocks=1,
                 mlp_ratio=2.0,
                 kernel_size=7,
                 drop_path=0.0,
                 edge_channels=None,
                 edge_levels=(0, 1, 2),
                 side_loss_weights=(0.5, 0.25, 0.125),
                 loss_edge=None,
                 loss_region=None,
                 **kwargs):
        kwargs.setdefault('input_transform', 'multiple_select')
        super().__init__(in_channels, channels, in_index=list(in_index),
                         **kwargs)
        if len(self.in_channels) != 4:
            raise ValueError('PATMHead decodes 4 levels, got in_channels='
                             f'{self.in_channels}')
        if len(side_loss_weights) != 3:
            raise ValueError('side_loss_weights: one weight per level 2-4')
        if not set(edge_levels) <= {0, 1, 2}:
            raise ValueError(f'edge_levels must be within (0, 1, 2), got '
                             f'{edge_levels}')
        self.with_edge = edge_channels is not None
        self.edge_channels = edge_channels
        self.edge_levels = tuple(edge_levels) if self.with_edge else ()
        self.side_loss_weights = tuple(side_loss_weights)
        norm_cfg = self.norm_cfg or dict(type='BN')
        conv_kw = dict(conv_cfg=self.conv_cfg, norm_cfg=self.norm_cfg,
                       act_cfg=self.act_cfg)
        self.laterals = nn.ModuleList(
            ConvModule(c, channels, 1, **conv_kw) if c != channels
            else nn.Identity() for c in self.in_channels)
        self.tconvs = nn.ModuleList(
            nn.Sequential(
                nn.ConvTranspose2d(channels, channels, 2, stride=2),
                build_norm_layer(norm_cfg, channels)[1], nn.ReLU(inplace=True))
            for _ in range(3))
        fuse_in = [2 * channels + (edge_channels or 0) *
                   (lvl in self.edge_levels) for lvl in range(3)]
        self.fuses = nn.ModuleList(
            ConvModule(c, channels, 1, **conv_kw) for c in fuse_in)
        self.patm_stages = nn.ModuleList(
            nn.Sequential(*[
                PATMBlock(channels, mlp_ratio, kernel_size, norm_cfg,
                          drop_path) for _ in range(num_blocks)
            ]) for _ in range(4))
        self.side_segs = nn.ModuleList(
            nn.Conv2d(channels, self.out_channels, 1) for _ in range(3))
        self.loss_edge = (MODELS.build(loss_edge)
                          if loss_edge and self.with_edge else None)
        self.loss_region = MODELS.build(loss_region) if loss_region else None

    def forward_all(self, inputs):
        """``(main logits, [side logits of levels 2, 3, 4], edge logit or
        None)``; logits at the resolution of their level.

        ``inputs``: the neck's outputs, a tuple of stages that carries the
        edge outputs by name (``EdgeAwareOutputs``: ``edge_feat``,
        ``edge_logit``) when the head has the edge branch.
        """
        edge_feat = edge = None
        if self.with_edge:
            edge_feat = getattr(inputs, 'edge_feat', None)
            edge = getattr(inputs, 'edge_logit', None)
            if edge_feat is None:
                raise ValueError(
                    f'{type(self).__name__} was built for edge features '
                    f'(edge_channels={self.edge_channels}) but its inputs '
                    'carry none: use EdgeAwareNeck with with_edge=True, or '
                    'build the head with edge_channels=None')
        feats = [lat(f) for lat, f in zip(self.laterals,
                                          self._transform_inputs(inputs))]
        d = self.patm_stages[3](feats[3])
        sides = []
        for lvl in (2, 1, 0):
            sides.insert(0, self.side_segs[lvl](d))
            up = self.tconvs[lvl](d)
            if up.shape[2:] != feats[lvl].shape[2:]:
                up = resize(up, size=feats[lvl].shape[2:], mode='bilinear',
                            align_corners=self.align_corners)
            parts = [feats[lvl], up]
            if lvl in self.edge_levels:
                parts.append(self._edge_at(edge_feat, up.shape[2:]))
            d = self.patm_stages[lvl](self.fuses[lvl](torch.cat(parts, 1)))
        return self.cls_seg(d), sides, edge

    def _edge_at(self, edge_feat, size):
        """Edge features at a level's size: average-pooled when smaller
        (no aliasing of thin edges), bilinear otherwise."""
        size = tuple(size)
        if tuple(edge_feat.shape[2:]) == size:
            return edge_feat
        if size[0] <= edge_feat.shape[2] and size[1] <= edge_feat.shape[3]:
            return F.adaptive_avg_pool2d(edge_feat, size)
        return resize(edge_feat, size=size, mode='bilinear',
                      align_corners=self.align_corners)

    def forward(self, inputs):
        return self.forward_all(inputs)[0]

    def loss(self, inputs, batch_data_samples, train_cfg):
        main, sides, edge = self.forward_all(inputs)
        return self.loss_by_feat(main, batch_data_samples, sides, edge)

    def _stack_field(self, batch_data_samples, field):
        if not all(field in s for s in batch_data_samples):
            raise KeyError(
                f'{type(self).__name__}: the data samples have no {field!r}; '
                'add its transform to the train pipeline (gt_edge_map: '
                'GenerateEdgeTarget, gt_region_map: GenerateRegionMap)')
        return torch.stack([s.get(field).data for s in batch_data_samples])

    def _resize_to(self, logits, label):
        if logits.shape[2:] == label.shape[2:]:
            return logits
        return resize(logits, size=label.shape[2:], mode='bilinear',
                      align_corners=self.align_corners)

    def loss_by_feat(self, seg_logits, batch_data_samples, side_logits=(),
                     edge_logit=None):
        label = self._stack_batch_gt(batch_data_samples)  # N, 1, H, W
        main = self._resize_to(seg_logits, label)
        losses = {}
        loss_decode = (self.loss_decode if isinstance(
            self.loss_decode, nn.ModuleList) else [self.loss_decode])
        for loss_fn in loss_decode:
            name = loss_fn.loss_name
            losses[name] = loss_fn(main, label,
                                   ignore_index=self.ignore_index)
            for lvl, (w, side) in enumerate(
                    zip(self.side_loss_weights, side_logits), start=2):
                if w:
                    losses[f'{name}_side{lvl}'] = w * loss_fn(
                        self._resize_to(side, label), label,
                        ignore_index=self.ignore_index)
        if self.loss_edge is not None:
            edge_label = self._stack_field(batch_data_samples, 'gt_edge_map')
            losses[self.loss_edge.loss_name] = self.loss_edge(
                self._resize_to(edge_logit, edge_label), edge_label,
                ignore_index=self.ignore_index)
        if self.loss_region is not None:
            regions = self._stack_field(batch_data_samples, 'gt_region_map')
            losses[self.loss_region.loss_name] = self.loss_region(
                self._resize_to(main, regions), regions)
        with torch.no_grad():
            valid = label != self.ignore_index
            if main.shape[1] == 1:
                pred = (main.sigmoid() > self.threshold).long()
            else:
                pred = main.argmax(1, keepdim=True)
            correct = ((pred == label) & valid).sum()
            losses['acc_seg'] = 100.0 * correct / valid.sum().clamp_min(1)
        return losses
