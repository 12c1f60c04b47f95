"""mmpretrain's ResNeSt (depths 50..269) as an mmseg backbone.

mmseg's ``ResNeSt`` stops at depth 200; mmpretrain's goes to 269, the
paper's strongest backbone. This class *is* mmpretrain's ``ResNeSt`` (by
inheritance, nothing copied), registered in mmseg's registry with the
options mmseg's segmentation configs use:

* ``strides``/``dilations`` for output stride 8 (``(1, 2, 1, 1)`` /
  ``(1, 1, 2, 4)``) or 16, and ``contract_dilation`` (the first block of a
  dilated stage uses half the dilation, as mmseg's ResNet does);
* ``out_indices`` default ``(0, 1, 2, 3)`` (DeepLabV3+ needs stage 1 too);
* ``pretrained=`` (mmseg's legacy argument) or
  ``init_cfg=dict(type='Pretrained', checkpoint=..., prefix=...)``: the
  checkpoint may be in mmpretrain's or mmseg's ResNeSt naming (e.g.
  ``mmcls://resnest269`` or ``open-mmlab://resnest101``); its keys are
  mapped to this model (:mod:`.resnest_key_mapping`), including the
  downsample indices that change with the strides.
"""
import logging

from mmengine.logging import print_log
from mmengine.runner.checkpoint import _load_checkpoint, load_state_dict
from mmpretrain.models.backbones import ResNeSt as _MMPretrainResNeSt
from mmseg.registry import MODELS

from .resnest_key_mapping import (convert_resnest_state_dict,
                                  detect_resnest_style)

_DEFAULT_INIT = [
    dict(type='Kaiming', layer=['Conv2d']),
    dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm'])
]


def _backbone_state_dict(checkpoint, prefix=None):
    """The backbone part of a loaded checkpoint, without ``prefix``."""
    state_dict = checkpoint.get('state_dict', checkpoint)
    if not isinstance(state_dict, dict):
        raise ValueError('checkpoint holds no state dict')
    state_dict = {(k[7:] if k.startswith('module.') else k): v
                  for k, v in state_dict.items()}
    if prefix is None:
        # whole-model checkpoints (classifier or segmentor) keep the
        # backbone under "backbone."; backbone-only ones have "stem." keys
        has_stem = any(k.startswith('stem.') for k in state_dict)
        prefix = '' if has_stem else 'backbone.'
    if prefix:
        if not prefix.endswith('.'):
            prefix += '.'
        state_dict = {k[len(prefix):]: v for k, v in state_dict.items()
                      if k.startswith(prefix)}
    return state_dict


@MODELS.register_module()
class MMPretrainResNeSt(_MMPretrainResNeSt):
    """mmpretrain's ResNeSt with mmseg backbone options.

    Args:
        depth (int): 50, 101, 152, 200 or 269.
        stem_channels (int): 64 for ResNeSt-50, 128 for deeper ones (the
            published weights). Default 128.
        strides, dilations (tuple[int]): per stage. Default ImageNet
            ``(1, 2, 2, 2)`` / ``(1, 1, 1, 1)``; d8 is ``(1, 2, 1, 1)`` /
            ``(1, 1, 2, 4)``.
        out_indices (tuple[int]): stages to return. Default (0, 1, 2, 3).
        contract_dilation (bool): halve the dilation of the first block of
            a dilated stage (mmseg's option). Default False.
        pretrained (str, optional): checkpoint, same as
            ``init_cfg=dict(type='Pretrained', checkpoint=pretrained)``.
        init_cfg (dict | list, optional): as mmengine; a ``Pretrained``
            entry (``checkpoint``, optional ``prefix``) is loaded with key
            mapping from mmpretrain or mmseg naming.
        **kwargs: the other arguments of mmpretrain's ``ResNeSt``
            (``radix``, ``reduction_factor``, ``avg_down_stride``,
            ``norm_cfg``, ``norm_eval``, ``frozen_stages``, ``with_cp``...).
    """

    def __init__(self,
                 depth,
                 stem_channels=128,
                 out_indices=(0, 1, 2, 3),
                 contract_dilation=False,
                 pretrained=None,
                 init_cfg=None,
                 **kwargs):
        if pretrained is not None and init_cfg is not None:
            raise ValueError('give init_cfg or pretrained, not both')
        if pretrained is not None:
            if not isinstance(pretrained, str):
                raise TypeError('pretrained must be a checkpoint path/URL')
            init_cfg = dict(type='Pretrained', checkpoint=pretrained)
        if init_cfg is None:
            init_cfg = _DEFAULT_INIT
        self.contract_dilation = contract_dilation
        super().__init__(
            depth=depth,
            stem_channels=stem_channels,
            out_indices=out_indices,
            init_cfg=init_cfg,
            **kwargs)

    def make_res_layer(self, **kwargs):
        layer = super().make_res_layer(**kwargs)
        dilation = kwargs.get('dilation', 1)
        if self.contract_dilation and dilation > 1:
            first = layer[0]
            half = dilation // 2
            first.dilation = half
            conv = first.conv2.conv
            conv.dilation = (half, half)
            conv.padding = (half, half)
        return layer

    def _pretrained_cfg(self):
        cfgs = self.init_cfg if isinstance(self.init_cfg, list) \
            else [self.init_cfg]
        found = [c for c in cfgs if isinstance(c, dict)
                 and c.get('type') == 'Pretrained']
        return found[-1] if found else None

    def init_weights(self):
        cfg = self._pretrained_cfg()
        if cfg is None:
            super().init_weights()
            return
        self.load_pretrained(cfg['checkpoint'], prefix=cfg.get('prefix'),
                             map_location=cfg.get('map_location', 'cpu'))
        self._is_init = True

    def load_pretrained(self, checkpoint, prefix=None, map_location='cpu'):
        """Load a ResNeSt checkpoint in mmpretrain or mmseg naming.

        Returns the (missing, unexpected) key lists after mapping.
        """
        ckpt = _load_checkpoint(checkpoint, map_location=map_location)
        state_dict = _backbone_state_dict(ckpt, prefix)
        src = detect_resnest_style(state_dict)
        state_dict = convert_resnest_state_dict(
            state_dict, dst='mmpretrain', src=src,
            dst_strides=tuple(self.strides))
        own = self.state_dict()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        print_log(
            f'{type(self).__name__}: loading {checkpoint} ({src} naming, '
            f'{len(state_dict)} tensors, {len(missing)} missing, '
            f'{len(unexpected)} unexpected)', logger='current')
        if missing:
            print_log(f'missing keys: {missing[:20]}', logger='current',
                      level=logging.WARNING)
        load_state_dict(self, state_dict, strict=False, logger='current')
        return missing, unexpected
