"""The CAM classifier configs follow IRN's recipe: paper eq. 1 as IRN
computes it (``F.multilabel_soft_margin_loss``), stem + layer1 + layer2
never trained, crops padded with 0 after normalisation; the toy recipe's
updates are unchanged by the loss rescaling."""
import copy
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import mmwsss.mm_components  # noqa: F401  (registers components, compat fixes)
from conftest import REPO
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmpretrain.models import ClsDataPreprocessor
from mmpretrain.registry import MODELS, TRANSFORMS
from mmpretrain.structures import DataSample

CAM = osp.join(REPO, 'configs/cam')
VOC_R50 = osp.join(CAM, 'cam_r50-s16_1xb16-5e_voc12aug-512x512.py')
VOC_R101 = osp.join(CAM, 'cam_r101-s16_1xb16-5e_voc12aug-512x512.py')
TOY = osp.join(CAM, 'cam_r18-w16-s16_1xb8-60e_toy-160x160.py')


def _samples(target):
    return [DataSample().set_gt_score(t) for t in target]


@pytest.mark.parametrize('path', [VOC_R50, VOC_R101, TOY],
                         ids=osp.basename)
def test_cam_loss_is_multilabel_soft_margin_loss(path):
    cfg = Config.fromfile(path)
    init_default_scope('mmpretrain')
    head = MODELS.build(cfg.model.head)
    c = cfg.model.head.num_classes
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(5, c, generator=g) * 3
    target = (torch.rand(5, c, generator=g) < 0.3).float()
    ours = head._get_loss(logits, _samples(target))['loss']
    ref = F.multilabel_soft_margin_loss(logits, target)
    # eq. 1 re-derived: -(y log s + (1-y) log(1-s)), mean over B and C
    s = torch.sigmoid(logits.double())
    eq1 = -(target * s.log() + (1 - target) * (1 - s).log()).mean()
    assert ours.item() == pytest.approx(ref.item(), rel=1e-6)
    assert ours.item() == pytest.approx(eq1.item(), rel=1e-6)


def test_voc_cam_trains_no_stem_layer1_layer2():
    """IRN detaches after layer2 and freezes the stem: no gradient there."""
    cfg = Config.fromfile(VOC_R50)
    init_default_scope('mmpretrain')
    model = MODELS.build(cfg.model)  # no init_weights: nothing downloaded
    model.train()
    x = torch.randn(2, 3, 64, 64)
    target = torch.zeros(2, 20)
    target[0, 3] = target[1, 7] = 1
    loss = model.loss(x, _samples(target))['loss']
    loss.backward()
    frozen = ('conv1.', 'bn1.', 'layer1.', 'layer2.')
    n_frozen = n_trained = 0
    for name, p in model.backbone.named_parameters():
        if name.startswith(frozen):
            assert p.grad is None and not p.requires_grad, name
            n_frozen += 1
        else:
            assert p.grad is not None and p.grad.abs().sum() > 0, name
            n_trained += 1
    assert n_frozen == 72 and n_trained > 0  # 3 + 30 + 39 tensors
    assert model.head.classifier.weight.grad is not None
    # BN statistics stay fixed as well (IRN's FixedBatchNorm)
    assert not any(m.training for m in model.backbone.modules()
                   if isinstance(m, torch.nn.BatchNorm2d))


def test_voc_cam_crop_pads_with_zero_after_normalisation(tmp_path):
    """A white 300x200 image: after IRN's resize (long side 320..640) the
    512 crop is partly padding; the padding is exactly 0 after the data
    preprocessor (IRN: random_crop(normalised image, 512, 0)), the image
    stays (255 - mean) / std."""
    import cv2
    cfg = Config.fromfile(VOC_R50)
    init_default_scope('mmpretrain')
    img_file = str(tmp_path / 'white.jpg')
    cv2.imwrite(img_file, np.full((200, 300, 3), 255, np.uint8))
    pipeline = [TRANSFORMS.build(t) for t in cfg.train_pipeline]
    pre = ClsDataPreprocessor(**cfg.data_preprocessor)
    mean = torch.tensor(cfg.data_preprocessor.mean).view(3, 1, 1)
    std = torch.tensor(cfg.data_preprocessor.std).view(3, 1, 1)
    white = (255 - mean) / std
    for seed in range(3):
        np.random.seed(seed)
        res = dict(img_path=img_file, gt_label=np.array([0]))
        for t in pipeline:
            res = t(res)
        batch = pre(dict(inputs=[res['inputs']],
                         data_samples=[res['data_samples']]))
        x = batch['inputs'][0]
        assert tuple(x.shape) == (3, 512, 512)
        pad = (x == 0).all(0)
        assert 0 < pad.float().mean() < 1
        torch.testing.assert_close(
            x[:, ~pad], white.view(3, 1).expand(3, int((~pad).sum())),
            rtol=0, atol=1e-5)


def test_toy_recipe_updates_unchanged_by_class_mean():
    """Toy config (loss / C, lr x C, weight decay / C) gives the same SGD
    (momentum 0.9) updates as the recipe it was tuned with (loss summed over
    classes, lr 0.05, weight decay 1e-4)."""
    cfg = Config.fromfile(TOY)
    c = cfg.model.head.num_classes
    init_default_scope('mmpretrain')
    old_optim = copy.deepcopy(cfg.optim_wrapper)
    old_optim.optimizer.update(lr=0.05, weight_decay=1e-4)
    runs = []
    for optim_cfg, loss_scale in ((cfg.optim_wrapper, 1.0),
                                  (old_optim, float(c))):
        torch.manual_seed(0)
        model = MODELS.build(cfg.model)
        model.init_weights()
        model.train()
        wrapper = build_optim_wrapper(model, optim_cfg)
        g = torch.Generator().manual_seed(1)
        for _ in range(4):
            x = torch.randn(4, 3, 48, 48, generator=g)
            target = (torch.rand(4, c, generator=g) < 0.4).float()
            loss = model.loss(x, _samples(target))['loss'] * loss_scale
            wrapper.update_params(loss)
        runs.append(model.state_dict())
    new, old = runs
    moved = 0
    for key in new:
        torch.testing.assert_close(new[key], old[key], rtol=1e-4, atol=1e-6)
    torch.manual_seed(0)
    init = MODELS.build(cfg.model)
    init.init_weights()
    for key, value in init.state_dict().items():
        if value.is_floating_point():
            moved += int(not torch.allclose(value, new[key]))
    assert moved > 10  # the steps did change the weights
