"""Map ResNeSt state-dict keys between mmpretrain's and mmseg's naming.

Both libraries build ResNeSt as a ResNetV1d (deep stem, average-pool
downsampling) with identical block internals (``conv1``, ``bn1``,
``conv2.{conv,bn0,fc1,bn1,fc2}``, ``conv3``, ``bn3``). Only two places
differ (checked on both libraries' modules, see ``tests/unit/test_seg_models.py``):

* the deep stem: mmseg uses a plain ``nn.Sequential`` of conv/BN/ReLU
  (``stem.{0,1,3,4,6,7}``), mmpretrain three ``ConvModule``\\ s
  (``stem.{0,1,2}.{conv,bn}``);
* the identity branch of the first block of a stage (``downsample``): mmseg
  always puts an ``AvgPool2d`` first (a 1x1 no-op when the stage stride is 1),
  so conv/BN are ``downsample.1``/``downsample.2``; mmpretrain adds the pool
  only when the stride is not 1, so a stride-1 stage (``layer1``, and
  ``layer3``/``layer4`` of a dilated d8 backbone) has ``downsample.0``/``.1``.

The downsample indices of mmpretrain's naming therefore depend on the
*destination* model's strides, not only on the library: an ImageNet
checkpoint (strides 1,2,2,2) loaded into a d8 segmentation backbone
(strides 1,2,1,1) needs ``layer3.0.downsample.1`` -> ``.0``. This module
reads the source indices from the checkpoint itself (the smaller index is
the conv, the larger the BN) and writes the destination indices from the
destination strides. Pure Python; no mm import.
"""
import re
from collections import OrderedDict

STYLES = ('mmpretrain', 'mmseg')

#: stem modules in order (conv0, bn0, conv1, bn1, conv2, bn2), per style
_STEM = {
    'mmseg': ('stem.0', 'stem.1', 'stem.3', 'stem.4', 'stem.6', 'stem.7'),
    'mmpretrain': ('stem.0.conv', 'stem.0.bn', 'stem.1.conv', 'stem.1.bn',
                   'stem.2.conv', 'stem.2.bn'),
}
_DOWNSAMPLE = re.compile(r'^layer(\d+)\.(\d+)\.downsample\.(\d+)\.([^.]+)$')


def detect_resnest_style(state_dict, prefix=''):
    """'mmpretrain' or 'mmseg' from the stem keys under ``prefix``."""
    keys = {k[len(prefix):] for k in state_dict if k.startswith(prefix)}
    if 'stem.0.conv.weight' in keys:
        return 'mmpretrain'
    if 'stem.0.weight' in keys:
        return 'mmseg'
    sample = sorted(keys)[:5]
    raise ValueError(
        f'not a ResNeSt state dict of mmpretrain or mmseg (no '
        f'"{prefix}stem.0.conv.weight" nor "{prefix}stem.0.weight"; '
        f'first keys: {sample})')


def _stem_key(key, src):
    for i, module in enumerate(_STEM[src]):
        head = module + '.'
        if key.startswith(head) and '.' not in key[len(head):]:
            return i, key[len(head):]
    return None


def convert_resnest_state_dict(state_dict, dst, src=None, prefix='',
                               dst_strides=(1, 2, 2, 2)):
    """Rename the ResNeSt keys of ``state_dict`` to ``dst`` naming.

    Args:
        state_dict (dict): parameters and buffers (tensors are not copied).
        dst (str): 'mmpretrain' or 'mmseg'.
        src (str, optional): the source naming; detected when None.
        prefix (str): only keys starting with it are backbone keys (e.g.
            ``'backbone.'`` for a whole-model checkpoint); it is kept.
            Other keys pass through unchanged.
        dst_strides (tuple[int]): strides of the destination model's
            stages; decides mmpretrain's downsample indices.

    Returns:
        OrderedDict: the renamed state dict, in the original order.
    """
    if dst not in STYLES:
        raise ValueError(f'dst must be one of {STYLES}, got {dst!r}')
    if src is None:
        src = detect_resnest_style(state_dict, prefix)
    elif src not in STYLES:
        raise ValueError(f'src must be one of {STYLES}, got {src!r}')

    # source indices of each downsample branch: smaller = conv, larger = BN
    branches = {}
    for key in state_dict:
        if not key.startswith(prefix):
            continue
        m = _DOWNSAMPLE.match(key[len(prefix):])
        if m:
            branches.setdefault((int(m[1]), int(m[2])), set()).add(int(m[3]))
    for where, indices in branches.items():
        if len(indices) != 2:
            raise ValueError(
                f'layer{where[0]}.{where[1]}.downsample: expected a conv and '
                f'a norm layer, found indices {sorted(indices)}')

    def dst_downsample_index(layer, is_norm):
        if dst == 'mmseg':
            first = 1
        else:
            if layer - 1 >= len(dst_strides):
                raise ValueError(f'layer{layer} has no stride in '
                                 f'dst_strides={dst_strides}')
            first = 0 if dst_strides[layer - 1] == 1 else 1
        return first + int(is_norm)

    out = OrderedDict()
    for key, value in state_dict.items():
        new = key
        if key.startswith(prefix):
            rest = key[len(prefix):]
            stem = _stem_key(rest, src)
            m = _DOWNSAMPLE.match(rest)
            if stem is not None:
                idx, param = stem
                new = f'{prefix}{_STEM[dst][idx]}.{param}'
            elif m:
                layer, block, idx, param = (int(m[1]), int(m[2]), int(m[3]),
                                            m[4])
                is_norm = idx == max(branches[(layer, block)])
                new_idx = dst_downsample_index(layer, is_norm)
                new = (f'{prefix}layer{layer}.{block}.downsample.'
                       f'{new_idx}.{param}')
        if new in out:
            raise ValueError(f'two keys map to {new!r}')
        out[new] = value
    return out
