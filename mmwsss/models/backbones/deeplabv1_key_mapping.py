"""Map the Caffe-converted DeepLab-v1 ResNet-101 (COCO) checkpoint to mmseg.

The DeepLab authors' ``init.caffemodel`` (ResNet-101 trained on MS-COCO,
the initialisation of the WSSS literature's DeepLab-v2 recipe) is
distributed converted to PyTorch as ``deeplabv1_resnet101-coco.pth`` by
kazuto1011/deeplab-pytorch (``convert.py --dataset coco``), with the key
names of its ``DeepLabV1`` module, optionally under the ``MSC`` wrapper
(``base.``) and a ``DataParallel`` (``module.``)::

    layer1.conv1.conv.weight                 (64, 3, 7, 7)   stem
    layer1.conv1.bn.{weight,bias,running_mean,running_var,num_batches_tracked}
    layer{2..5}.block{b}.{reduce,conv3x3,increase,shortcut}.conv.weight
    layer{2..5}.block{b}.{reduce,conv3x3,increase,shortcut}.bn.*
    fc.weight, fc.bias  / aspp.c{0..3}.*    classifier (not transferred)

``layer2..5`` hold 3, 4, 23, 3 bottlenecks; ``reduce`` (1x1, carries the
stride: Caffe style), ``conv3x3``, ``increase`` (1x1) and the projection
``shortcut`` of the first block. In mmseg's ``ResNet(style='caffe')`` these
are ``conv1/bn1`` (stem) and ``layer{1..4}.{b-1}.{conv1,conv2,conv3}``,
``bn{1,2,3}``, ``downsample.{0,1}``. Pure Python; no torch or mm import.
"""
import re
from collections import OrderedDict

#: DeepLab-v1 bottleneck branch -> mmseg (conv, norm) module names
_BRANCH = {
    'reduce': ('conv1', 'bn1'),
    'conv3x3': ('conv2', 'bn2'),
    'increase': ('conv3', 'bn3'),
    'shortcut': ('downsample.0', 'downsample.1'),
}
_BLOCK = re.compile(
    r'^layer([2-5])\.block(\d+)\.(reduce|conv3x3|increase|shortcut)'
    r'\.(conv|bn)\.([a-z_]+)$')
_STEM = re.compile(r'^layer1\.conv1\.(conv|bn)\.([a-z_]+)$')
#: classifier keys of the source model: dropped (other classes)
_CLASSIFIER = re.compile(r'^(fc|aspp)\.')
WRAPPER_PREFIXES = ('module.', 'base.')


def strip_wrappers(key):
    """``module.base.layer1...`` -> ``layer1...`` (DataParallel, MSC)."""
    changed = True
    while changed:
        changed = False
        for prefix in WRAPPER_PREFIXES:
            if key.startswith(prefix):
                key, changed = key[len(prefix):], True
    return key


def convert_deeplabv1_key(key):
    """The mmseg ResNet key of a DeepLab-v1 key; None for the classifier.

    Raises:
        KeyError: a key that is neither backbone nor classifier.
    """
    bare = strip_wrappers(key)
    m = _STEM.match(bare)
    if m:
        module = 'conv1' if m[1] == 'conv' else 'bn1'
        return f'{module}.{m[2]}'
    m = _BLOCK.match(bare)
    if m:
        layer, block, branch, kind, param = m.groups()
        conv, norm = _BRANCH[branch]
        module = conv if kind == 'conv' else norm
        return f'layer{int(layer) - 1}.{int(block) - 1}.{module}.{param}'
    if _CLASSIFIER.match(bare):
        return None
    raise KeyError(f'{key!r} is not a key of the DeepLab-v1 ResNet-101 '
                   '(deeplab-pytorch naming, e.g. layer2.block1.reduce.'
                   'conv.weight)')


def convert_deeplabv1_state_dict(state_dict, prefix=''):
    """Rename a DeepLab-v1 ResNet-101 state dict to mmseg ``ResNet`` keys.

    Args:
        state_dict (dict): the checkpoint's tensors (not copied). A dict with
            a ``state_dict`` entry is unwrapped.
        prefix (str): put before every output key (e.g. ``'backbone.'``).

    Returns:
        tuple(OrderedDict, list): the renamed backbone tensors and the
        dropped classifier keys.
    """
    if 'state_dict' in state_dict and isinstance(state_dict['state_dict'],
                                                 dict):
        state_dict = state_dict['state_dict']
    out, dropped = OrderedDict(), []
    for key, value in state_dict.items():
        new = convert_deeplabv1_key(key)
        if new is None:
            dropped.append(key)
            continue
        new = prefix + new
        if new in out:
            raise ValueError(f'two keys map to {new!r} (the second: {key!r})')
        out[new] = value
    if not out:
        raise ValueError('no backbone keys found')
    return out, dropped
