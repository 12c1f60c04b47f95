"""The DeepLab-v1 ResNet-101 COCO checkpoint (deeplab-pytorch naming) maps
onto the backbone of the 321x321 DeepLabV2 config with no missing and no
unexpected keys."""
import os.path as osp

import pytest
import torch

import mmwsss.mm_components  # noqa: F401  (registers components, compat fixes)
from conftest import REPO
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

from mmwsss.models.backbones.deeplabv1_key_mapping import (
    convert_deeplabv1_key, convert_deeplabv1_state_dict)

CFG = osp.join(REPO, 'configs/seg/'
               'deeplabv2_r101-d8_1xb10-20k_voc12aug-pseudo-321x321.py')


def published_deeplabv1_keys(prefix=''):
    """Keys and shapes of deeplabv1_resnet101-coco.pth as written by
    kazuto1011/deeplab-pytorch (libs/models/deeplabv1.py, resnet.py):
    _Stem -> layer1.conv1.{conv,bn}; _ResLayer(n, in, out) -> blocks of
    reduce (1x1, out/4), conv3x3, increase (1x1, out), shortcut (block1);
    91-class COCO fc."""
    shapes = {}

    def conv_bn(name, cin, cout, k):
        shapes[f'{prefix}{name}.conv.weight'] = (cout, cin, k, k)
        for p in ('weight', 'bias', 'running_mean', 'running_var'):
            shapes[f'{prefix}{name}.bn.{p}'] = (cout, )
        shapes[f'{prefix}{name}.bn.num_batches_tracked'] = ()

    conv_bn('layer1.conv1', 3, 64, 7)
    cin = 64
    for layer, (n, cout) in enumerate(
            zip((3, 4, 23, 3), (256, 512, 1024, 2048)), start=2):
        for b in range(1, n + 1):
            mid = cout // 4
            conv_bn(f'layer{layer}.block{b}.reduce', cin, mid, 1)
            conv_bn(f'layer{layer}.block{b}.conv3x3', mid, mid, 3)
            conv_bn(f'layer{layer}.block{b}.increase', mid, cout, 1)
            if b == 1:
                conv_bn(f'layer{layer}.block{b}.shortcut', cin, cout, 1)
            cin = cout
    shapes[f'{prefix}fc.weight'] = (91, 2048, 1, 1)
    shapes[f'{prefix}fc.bias'] = (91, )
    return shapes


@pytest.mark.parametrize('prefix', ['', 'base.', 'module.base.'])
def test_converted_checkpoint_loads_strictly(prefix):
    shapes = published_deeplabv1_keys(prefix)
    # 104 conv+BN pairs (stem, 33 x 3 block convs, 4 shortcuts) x 6 tensors
    assert len(shapes) == 104 * 6 + 2
    g = torch.Generator().manual_seed(0)
    state = {k: (torch.randn(s, generator=g) if s else torch.tensor(0))
             for k, s in shapes.items()}
    converted, dropped = convert_deeplabv1_state_dict(state)
    assert sorted(dropped) == [prefix + 'fc.bias', prefix + 'fc.weight']
    cfg = Config.fromfile(CFG)
    init_default_scope('mmseg')
    model = MODELS.build(cfg.model)
    result = model.backbone.load_state_dict(converted, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    # values land where the names say
    torch.testing.assert_close(
        model.backbone.layer3[22].conv2.weight,
        state[prefix + 'layer4.block23.conv3x3.conv.weight'])
    torch.testing.assert_close(
        model.backbone.layer1[0].downsample[1].running_var,
        state[prefix + 'layer2.block1.shortcut.bn.running_var'])
    # Caffe style: the stride sits in the 1x1 reduce conv (conv1)
    assert model.backbone.layer2[0].conv1.stride == (2, 2)
    assert model.backbone.layer3[0].conv2.dilation == (2, 2)
    assert model.backbone.layer4[2].conv2.dilation == (4, 4)


def test_unknown_key_is_named():
    with pytest.raises(KeyError, match='layer6.block1'):
        convert_deeplabv1_key('layer6.block1.reduce.conv.weight')
    assert convert_deeplabv1_key('base.aspp.c0.weight') is None


def test_convert_tool_writes_a_loadable_backbone_checkpoint(tmp_path):
    from conftest import run_tool
    shapes = published_deeplabv1_keys('base.')
    src, dst = tmp_path / 'coco.pth', tmp_path / 'out' / 'backbone.pth'
    torch.save({k: torch.zeros(s) if s else torch.tensor(0)
                for k, s in shapes.items()}, src)
    proc = run_tool('tools/convert_deeplabv1.py', src, dst)
    assert 'dropped 2 classifier keys' in proc.stdout
    ckpt = torch.load(dst, map_location='cpu', weights_only=True)
    assert len(ckpt['state_dict']) == len(shapes) - 2
    assert 'layer3.22.conv2.weight' in ckpt['state_dict']
