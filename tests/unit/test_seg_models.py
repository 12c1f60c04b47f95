"""DeepLabV2 ASPP head, ResNeSt key mapping on real state dicts of both
libraries, and mmpretrain's ResNeSt (up to 269) as an mmseg backbone."""
import pytest
import torch
import torch.nn.functional as F

import mmwsss.mm_components  # noqa: F401  (registers components, compat fixes)
from mmengine.registry import init_default_scope
from mmpretrain.models.backbones import ResNeSt as PretrainResNeSt
from mmseg.models.backbones import ResNeSt as SegResNeSt
from mmseg.registry import MODELS

from mmwsss.models.backbones.resnest_key_mapping import (
    convert_resnest_state_dict, detect_resnest_style)

init_default_scope('mmseg')

D8 = dict(strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4))


def _randomise_bn(model, seed=0):
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.rand(n, generator=g) * 0.2 - 0.1)
            m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=g) + 0.5)
            m.bias.data.copy_(torch.rand(n, generator=g) * 0.2 - 0.1)


# --------------------------------------------------------------------------
# ASPPV2Head
def _head(**kw):
    cfg = dict(type='ASPPV2Head', in_channels=16, in_index=-1, num_classes=5)
    cfg.update(kw)
    return MODELS.build(cfg)


def test_aspp_v2_shapes_and_sum_of_branches():
    head = _head()
    head.init_weights()
    assert not hasattr(head, 'conv_seg')
    assert [c.dilation for c in head.aspp_convs] == [(d, d) for d in
                                                      (6, 12, 18, 24)]
    x = torch.randn(2, 16, 33, 41)
    out = head([torch.randn(2, 8, 5, 5), x])
    assert out.shape == (2, 5, 33, 41)
    ref = sum(
        F.conv2d(x, c.weight, c.bias, padding=d, dilation=d)
        for c, d in zip(head.aspp_convs, (6, 12, 18, 24)))
    torch.testing.assert_close(out, ref)
    # DeepLab's classifier init: N(0, 0.01) weights, zero bias
    w = torch.cat([c.weight.flatten() for c in head.aspp_convs])
    assert 0.005 < w.std().item() < 0.02
    assert all(c.bias.abs().max() == 0 for c in head.aspp_convs)


def test_aspp_v2_custom_dilations_and_gradients():
    head = _head(dilations=(1, 2), num_classes=3)
    x = torch.randn(1, 16, 9, 9, requires_grad=True)
    out = head([x])
    assert out.shape == (1, 3, 9, 9)
    out.sum().backward()
    assert all(p.grad is not None for p in head.parameters())
    with pytest.raises(ValueError):
        _head(dilations=())


def test_aspp_v2_in_deeplabv2_segmentor_loss_and_predict():
    from mmseg.structures import SegDataSample
    from mmengine.config import ConfigDict
    from mmengine.structures import PixelData
    model = MODELS.build(dict(
        type='EncoderDecoder',
        data_preprocessor=dict(type='SegDataPreProcessor', size=(32, 32)),
        backbone=dict(type='ResNetV1c', depth=18, base_channels=8,
                      stem_channels=8, **D8, contract_dilation=True),
        decode_head=dict(type='ASPPV2Head', in_channels=64, in_index=3,
                         num_classes=4),
        test_cfg=dict(mode='whole')))
    model.test_cfg = ConfigDict(model.test_cfg)  # as the Runner passes it
    sample = SegDataSample()
    sample.gt_sem_seg = PixelData(data=torch.randint(0, 4, (1, 32, 32)))
    sample.set_metainfo(dict(img_shape=(32, 32), pad_shape=(32, 32),
                             ori_shape=(32, 32)))
    losses = model.loss(torch.randn(1, 3, 32, 32), [sample])
    assert torch.isfinite(losses['decode.loss_ce'])
    pred = model.predict(torch.randn(1, 3, 32, 32), [sample])[0]
    assert pred.seg_logits.data.shape == (4, 32, 32)


# --------------------------------------------------------------------------
# key mapping on real state dicts
@pytest.fixture(scope='module')
def seg_and_pretrain_r50():
    """mmseg's and mmpretrain's ResNeSt-50 at ImageNet strides."""
    torch.manual_seed(0)
    return (SegResNeSt(depth=50, stem_channels=64).state_dict(),
            PretrainResNeSt(depth=50, stem_channels=64).state_dict())


def _assert_same_layout(a, b):
    assert list(a) == list(b)
    for k in a:
        assert a[k].shape == b[k].shape, k


def test_key_mapping_between_libraries(seg_and_pretrain_r50):
    seg, pre = seg_and_pretrain_r50
    # the two libraries really differ (stem and downsample keys)
    assert set(seg) != set(pre)
    assert detect_resnest_style(seg) == 'mmseg'
    assert detect_resnest_style(pre) == 'mmpretrain'
    to_pre = convert_resnest_state_dict(seg, dst='mmpretrain')
    _assert_same_layout(to_pre, pre)
    to_seg = convert_resnest_state_dict(pre, dst='mmseg')
    _assert_same_layout(to_seg, seg)
    # round trip keeps the very same tensors
    back = convert_resnest_state_dict(to_pre, dst='mmseg')
    assert list(back) == list(seg)
    assert all(back[k] is seg[k] for k in seg)


def test_key_mapping_to_dilated_mmpretrain_model(seg_and_pretrain_r50):
    """An ImageNet checkpoint (strides 1,2,2,2) into a d8 model: the stride-1
    stages of mmpretrain have no pool in downsample, so indices shift."""
    seg, pre = seg_and_pretrain_r50
    d8 = PretrainResNeSt(depth=50, stem_channels=64, **D8).state_dict()
    assert 'layer3.0.downsample.0.weight' in d8
    assert 'layer3.0.downsample.1.weight' in pre
    for src in (seg, pre):
        mapped = convert_resnest_state_dict(src, dst='mmpretrain',
                                            dst_strides=D8['strides'])
        _assert_same_layout(mapped, d8)


def test_key_mapping_prefix_and_errors(seg_and_pretrain_r50):
    seg, pre = seg_and_pretrain_r50
    full = {'backbone.' + k: v for k, v in pre.items()}
    full['head.fc.weight'] = torch.zeros(3, 2048)
    out = convert_resnest_state_dict(full, dst='mmseg', prefix='backbone.')
    assert 'head.fc.weight' in out
    assert 'backbone.stem.3.weight' in out
    assert 'backbone.layer1.0.downsample.1.weight' in out
    with pytest.raises(ValueError, match='not a ResNeSt state dict'):
        detect_resnest_style({'conv.weight': torch.zeros(1)})
    with pytest.raises(ValueError, match='dst must be'):
        convert_resnest_state_dict(pre, dst='timm')


# --------------------------------------------------------------------------
# MMPretrainResNeSt
def test_wrapper_matches_mmseg_resnest_d8_outputs():
    """mmseg ResNeSt (d8, contract_dilation) weights mapped into the wrapper
    give the same features: same architecture, dilations included."""
    torch.manual_seed(0)
    kw = dict(depth=50, stem_channels=64, contract_dilation=True, **D8)
    ref = SegResNeSt(**kw)
    ref.init_weights()
    _randomise_bn(ref)
    ours = MODELS.build(dict(type='MMPretrainResNeSt', **kw))
    mapped = convert_resnest_state_dict(
        ref.state_dict(), dst='mmpretrain', dst_strides=D8['strides'])
    ours.load_state_dict(mapped, strict=True)
    ref.eval()
    ours.eval()
    x = torch.randn(1, 3, 48, 48)
    with torch.no_grad():
        outs_ref, outs = ref(x), ours(x)
    assert [o.shape[1:] for o in outs] == [(256, 12, 12), (512, 6, 6),
                                           (1024, 6, 6), (2048, 6, 6)]
    for a, b in zip(outs_ref, outs):
        torch.testing.assert_close(a, b)
    # without contract_dilation the first dilated block differs
    plain = MODELS.build(dict(type='MMPretrainResNeSt', depth=50,
                              stem_channels=64, **D8))
    assert plain.layer3[0].conv2.conv.dilation == (2, 2)
    assert ours.layer3[0].conv2.conv.dilation == (1, 1)
    assert ours.layer4[0].conv2.conv.dilation == (2, 2)
    assert ours.layer4[1].conv2.conv.dilation == (4, 4)


@pytest.mark.parametrize('style', ['mmseg', 'mmpretrain'])
def test_wrapper_loads_checkpoints_of_both_libraries(tmp_path, style):
    """init_cfg Pretrained with a whole-model checkpoint of either library
    (ImageNet strides) into a d8 wrapper: every tensor arrives."""
    torch.manual_seed(1)
    if style == 'mmseg':
        src = SegResNeSt(depth=50, stem_channels=64)
    else:
        src = PretrainResNeSt(depth=50, stem_channels=64)
    _randomise_bn(src, seed=2)
    ckpt = tmp_path / f'{style}.pth'
    torch.save({'state_dict': {'backbone.' + k: v
                               for k, v in src.state_dict().items()},
                'meta': {}}, ckpt)
    ours = MODELS.build(dict(
        type='MMPretrainResNeSt', depth=50, stem_channels=64, **D8,
        init_cfg=dict(type='Pretrained', checkpoint=str(ckpt))))
    ours.init_weights()
    expected = convert_resnest_state_dict(
        src.state_dict(), dst='mmpretrain', dst_strides=D8['strides'])
    got = ours.state_dict()
    assert set(got) == set(expected)
    for k, v in expected.items():
        torch.testing.assert_close(got[k], v, msg=k)
    # mmseg's legacy `pretrained=` argument works the same way
    legacy = MODELS.build(dict(type='MMPretrainResNeSt', depth=50,
                               stem_channels=64, pretrained=str(ckpt)))
    assert legacy.init_cfg == dict(type='Pretrained', checkpoint=str(ckpt))


def test_resnest269_builds_with_parameter_count():
    with pytest.raises(KeyError):
        SegResNeSt(depth=269)  # why the wrapper exists
    model = MODELS.build(dict(type='MMPretrainResNeSt', depth=269,
                              contract_dilation=True, **D8))
    n = sum(p.numel() for p in model.parameters())
    print(f'ResNeSt-269 backbone parameters: {n:,}')
    # exactly mmpretrain's ImageNet ResNeSt-269 backbone (depth=269,
    # stem_channels=128): 108,880,480, i.e. the published 110.9M minus the
    # 2,049,000 of the 1000-way classifier
    assert n == 108_880_480
    assert [len(getattr(model, f'layer{i}')) for i in (1, 2, 3, 4)] == [
        3, 30, 48, 8]
    model.eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 32, 32))
    assert [tuple(o.shape[1:]) for o in outs] == [(256, 8, 8), (512, 4, 4),
                                                  (1024, 4, 4), (2048, 4, 4)]
