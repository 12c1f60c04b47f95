"""The VOC segmenter configs train and test as their references do: loss
averaged over valid pixels, the training scales, the test protocol (scales,
flip, how the predictions merge, CRF), the RS+EPM / Puzzle-CAM optimizer;
and the TTA merges and the CRF test path run."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch

import mmwsss.mm_components  # noqa: F401  (registers components, compat fixes)
from conftest import REPO, SHARED_DATA
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmwsss.models.segmentors.crf_seg_tta_model import merge_probs

VOC_CONFIGS = sorted(p for p in glob.glob(osp.join(REPO, 'configs/seg/*.py'))
                     if '_voc12aug-' in osp.basename(p))
MMSEG_TTA = ([0.5, 0.75, 1.0, 1.25, 1.5, 1.75], True, 'mean_prob', False)
#: config -> (training scales, (test scales, flip, merge, CRF))
PROTOCOLS = {
    # deeplab-pytorch: one of five scales; test as mmseg (5 x flip) ...
    'deeplabv2_r101-d8_1xb10-20k_voc12aug-pseudo-321x321.py':
    ('choice', [0.5, 0.75, 1.0, 1.25, 1.5],
     ([0.5, 0.75, 1.0, 1.25, 1.5], True, 'mean_prob', False)),
    # ... or as released: max over 1 / 0.75 / 0.5, no flip, CRF
    'deeplabv2_r101-d8_1xb10-20k_voc12aug-pseudo-321x321_test-msc-crf.py':
    ('choice', [0.5, 0.75, 1.0, 1.25, 1.5],
     ([1.0, 0.75, 0.5], False, 'max_logits', True)),
    # mmseg's generic recipe
    'deeplabv2_r101-d8_4xb4-20k_voc12aug-pseudo-512x512.py':
    ('range', (0.5, 2.0), MMSEG_TTA),
    'deeplabv3plus_r101-d8_4xb4-20k_voc12aug-pseudo-512x512.py':
    ('range', (0.5, 2.0), MMSEG_TTA),
    'deeplabv3plus_s101-d8_4xb4-20k_voc12aug-pseudo-512x512.py':
    ('range', (0.5, 2.0), MMSEG_TTA),
    'deeplabv3plus_s269-d8_4xb4-20k_voc12aug-pseudo-512x512.py':
    ('range', (0.5, 2.0), MMSEG_TTA),
    # RS+EPM / Puzzle-CAM: long side 256..1024; 0.5-2 x flip, summed
    # logits, CRF
    'deeplabv3plus_s101-d16-fbn-gn_4xb8-16.5k_voc12aug-pseudo-512x512.py':
    ('range', (0.5, 2.0), ([0.5, 1.0, 1.5, 2.0], True, 'sum_logits', True)),
    'deeplabv3plus_s269-d16-fbn-gn_4xb8-16.5k_voc12aug-pseudo-512x512.py':
    ('range', (0.5, 2.0), ([0.5, 1.0, 1.5, 2.0], True, 'sum_logits', True)),
}


def test_every_voc_config_has_a_protocol():
    assert sorted(osp.basename(p) for p in VOC_CONFIGS) == sorted(PROTOCOLS)


def _tta(cfg):
    """(scales, flip, merge, crf) of a config's --tta setting."""
    tta = cfg.tta_pipeline[1]
    assert tta.type == 'TestTimeAug'
    scales = [t.scale_factor for t in tta.transforms[0]]
    flips = [t for group in tta.transforms for t in group
             if t.type == 'RandomFlip']
    model = cfg.tta_model
    # mmseg's SegTTAModel: the mean of the softmax, no CRF
    assert model.type in ('SegTTAModel', 'CRFSegTTAModel'), model.type
    return (scales, any(t.prob == 1.0 for t in flips),
            model.get('merge', 'mean_prob'),
            bool(model.get('crf', {}).get('enabled', False)))


@pytest.mark.parametrize('path', VOC_CONFIGS,
                         ids=[osp.basename(p) for p in VOC_CONFIGS])
def test_voc_config_loss_scales_and_test_protocol(path):
    cfg = Config.fromfile(path)
    kind, scales, tta = PROTOCOLS[osp.basename(path)]
    # the cross-entropy of every head is the mean over valid pixels
    heads = [cfg.model.decode_head] + (
        [cfg.model.auxiliary_head] if cfg.model.get('auxiliary_head')
        else [])
    for head in heads:
        loss = head.loss_decode
        assert loss.type == 'CrossEntropyLoss' and loss.avg_non_ignore, path
    # training scales
    steps = {t.type: t for t in cfg.train_dataloader.dataset.pipeline}
    if kind == 'choice':
        assert 'RandomResize' not in steps
        choice = steps['RandomChoice']
        assert [group[0].scale_factor for group in choice.transforms] == \
            scales
        assert all(group[0].keep_ratio for group in choice.transforms)
    else:
        assert tuple(steps['RandomResize'].ratio_range) == scales
    assert _tta(cfg) == tta
    # plain (single-scale) test: no CRF unless asked for
    assert not cfg.model.get('crf', {}).get('enabled', False)


def test_rsepm_recipe_backbone_head_and_optimizer():
    """The RS+EPM / Puzzle-CAM recipe, built: output stride 16, frozen BN
    statistics with trained affine, GroupNorm of 4 groups in the head, no
    auxiliary head, and the optimizer's effective lr / weight decay /
    momentum per parameter kind."""
    from mmengine.optim import build_optim_wrapper
    from mmseg.registry import MODELS
    cfg = Config.fromfile(osp.join(
        REPO, 'configs/seg/deeplabv3plus_s101-d16-fbn-gn_4xb8-16.5k_'
        'voc12aug-pseudo-512x512.py'))
    assert cfg.train_dataloader.batch_size * 4 == 32
    assert cfg.train_cfg.max_iters == 50 * (10582 // 32)
    init_default_scope('mmseg')
    model = MODELS.build(cfg.model)
    assert tuple(model.backbone.strides) == (1, 2, 2, 1)
    assert tuple(model.backbone.dilations) == (1, 1, 1, 2)
    assert model.backbone.norm_eval and not model.with_auxiliary_head
    model.train()
    bn = model.backbone.stem[1]
    assert isinstance(bn, torch.nn.BatchNorm2d) and not bn.training
    assert bn.weight.requires_grad
    gns = [m for m in model.decode_head.modules()
           if isinstance(m, torch.nn.GroupNorm)]
    assert gns and all(m.num_groups == 4 for m in gns)
    assert model.decode_head.c1_bottleneck.conv.out_channels == 48
    out = model.forward(torch.zeros(1, 3, 64, 64), mode='tensor')
    assert tuple(out.shape[-2:]) == (16, 16)   # 1/4 (decoder) of 64
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    opt = wrapper.optimizer
    group_of = {id(p): g for g in opt.param_groups for p in g['params']}
    params = dict(model.named_parameters())

    def lr_wd(name):
        g = group_of[id(params[name])]
        return g['lr'], g['weight_decay']

    assert opt.defaults['nesterov'] and opt.defaults['momentum'] == 4e-5
    conv_w = 'backbone.layer1.0.conv1.weight'
    fc_b = next(n for n in params if n.startswith('backbone.layer1.0.conv2')
                and n.endswith('fc1.bias'))
    head_w = 'decode_head.conv_seg.weight'
    head_b = 'decode_head.conv_seg.bias'
    assert lr_wd(conv_w) == pytest.approx((0.007, 4e-5))
    assert lr_wd(fc_b) == pytest.approx((0.014, 0.0))
    assert lr_wd(head_w) == pytest.approx((0.07, 4e-5))
    assert lr_wd(head_b) == pytest.approx((0.14, 0.0))
    # every parameter in Puzzle-CAM's group: pretrained (backbone) or new,
    # weight or not (abc_modules.py get_parameter_groups)
    for name in params:
        lr = 0.007 * (1 if name.startswith('backbone.') else 10)
        if name.endswith('weight'):
            assert lr_wd(name) == pytest.approx((lr, 4e-5)), name
        else:
            assert lr_wd(name) == pytest.approx((2 * lr, 0.0)), name
    assert lr_wd('backbone.stem.1.bias') == pytest.approx((0.014, 0.0))
    # the training pipeline on a real photograph: a 512 crop
    from mmengine.dataset import Compose
    root = osp.join(SHARED_DATA, 'voc_real_mini', 'VOC2012')
    packed = Compose(cfg.train_pipeline)(dict(
        img_path=osp.join(root, 'JPEGImages', '2011_000025.jpg'),
        seg_map_path=osp.join(root, 'SegmentationClassAug',
                              '2011_000025.png'),
        reduce_zero_label=False, seg_fields=[]))
    assert tuple(packed['inputs'].shape) == (3, 512, 512)


def test_deeplab_pytorch_training_scales_on_a_real_image():
    """RandomChoice of five Resize(scale_factor) draws exactly those
    factors (image and mask together)."""
    from mmcv.transforms import LoadImageFromFile
    from mmseg.datasets.transforms import LoadAnnotations
    from mmseg.registry import TRANSFORMS
    cfg = Config.fromfile(osp.join(
        REPO, 'configs/seg/deeplabv2_r101-d8_1xb10-20k_voc12aug-pseudo-'
        '321x321.py'))
    init_default_scope('mmseg')
    step = next(t for t in cfg.train_pipeline if t.type == 'RandomChoice')
    choice = TRANSFORMS.build(step)
    root = osp.join(SHARED_DATA, 'voc_real_mini', 'VOC2012')
    img_id = '2011_000003'
    results = LoadImageFromFile()(dict(
        img_path=osp.join(root, 'JPEGImages', f'{img_id}.jpg')))
    results['seg_map_path'] = osp.join(root, 'SegmentationClassAug',
                                       f'{img_id}.png')
    results['reduce_zero_label'] = False
    results['seg_fields'] = []
    results = LoadAnnotations()(results)
    h, w = results['img'].shape[:2]
    seen = set()
    rng_state = np.random.get_state()
    np.random.seed(0)
    try:
        for _ in range(40):
            out = choice(dict(results))
            ratio = out['img'].shape[1] / w
            k = min(cfg.train_scales, key=lambda s: abs(s - ratio))
            assert abs(ratio - k) < 2 / w
            assert out['gt_seg_map'].shape == out['img'].shape[:2]
            seen.add(k)
    finally:
        np.random.set_state(rng_state)
    assert len(seen) >= 4
    # the whole training pipeline: a 321 x 321 crop of image and label
    from mmengine.dataset import Compose
    packed = Compose(cfg.train_pipeline)(dict(
        img_path=results['img_path'], seg_map_path=results['seg_map_path'],
        reduce_zero_label=False, seg_fields=[]))
    assert tuple(packed['inputs'].shape) == (3, 321, 321)
    assert tuple(packed['data_samples'].gt_sem_seg.data.shape) == \
        (1, 321, 321)


def test_merge_probs_on_hand_made_logits():
    a = torch.tensor([[[2.0]], [[0.0]]])      # 2 classes, 1 pixel
    b = torch.tensor([[[-1.0]], [[1.0]]])
    soft = lambda x: torch.softmax(x, 0)      # noqa: E731
    torch.testing.assert_close(merge_probs([a, b]), (soft(a) + soft(b)) / 2)
    torch.testing.assert_close(merge_probs([a, b], 'sum_logits'),
                               soft(torch.tensor([[[1.0]], [[1.0]]])))
    torch.testing.assert_close(merge_probs([a, b], 'max_logits'),
                               soft(torch.tensor([[[2.0]], [[1.0]]])))
    with pytest.raises(ValueError, match='merge'):
        merge_probs([a], 'vote')


@pytest.mark.parametrize('merge', ['max_logits', 'sum_logits'])
def test_tta_crf_path_runs_on_a_real_image(merge):
    """CRFSegTTAModel with the CRF on: a small random segmentor (the toy
    seg config) through the released deeplab-pytorch TTA pipeline (scales
    1 / 0.75 / 0.5) on a real VOC photograph; the prediction is the CRF
    argmax of the merged probabilities."""
    pytest.importorskip('pydensecrf.densecrf',
                        reason='pydensecrf2 not installed: pip install -e '
                        '".[crf]"')
    from mmengine.dataset import Compose, pseudo_collate
    from mmseg.registry import MODELS

    from mmwsss.models.segmentors.crf_encoder_decoder import crf_predict
    toy = Config.fromfile(osp.join(
        REPO, 'configs/seg/deeplabv3plus_r18w32-d16_1xb8-1200_toy-pseudo-'
        '64x64.py'))
    test = Config.fromfile(osp.join(
        REPO, 'configs/seg/deeplabv2_r101-d8_1xb10-20k_voc12aug-pseudo-'
        '321x321_test-msc-crf.py'))
    init_default_scope('mmseg')
    torch.manual_seed(0)
    tta_cfg = dict(test.tta_model, merge=merge, module=toy.model)
    tta_cfg['crf'] = dict(tta_cfg['crf'], num_iter=3)
    model = MODELS.build(tta_cfg).eval()
    root = osp.join(SHARED_DATA, 'voc_real_mini', 'VOC2012')
    img_id = '2011_000006'
    pipeline = Compose(test.tta_pipeline)
    data = pipeline(dict(
        img_path=osp.join(root, 'JPEGImages', f'{img_id}.jpg'),
        seg_map_path=osp.join(root, 'SegmentationClassAug', f'{img_id}.png'),
        reduce_zero_label=False, seg_fields=[]))
    assert len(data['inputs']) == 3          # three scales, no flip
    batch = pseudo_collate([data])
    with torch.no_grad():
        out = model.test_step(batch)[0]
        # the same merge and CRF by hand, from the per-scale predictions
        augs = [model.module.test_step(dict(inputs=[x],
                                            data_samples=[s]))[0]
                for x, s in zip(data['inputs'], data['data_samples'])]
    gt = out.gt_sem_seg.data
    assert out.pred_sem_seg.data.shape[-2:] == gt.shape[-2:]
    probs = merge_probs([s.seg_logits.data for s in augs], merge)
    want = crf_predict(probs, augs[0], model.crf_kwargs)
    torch.testing.assert_close(out.pred_sem_seg.data.reshape(want.shape),
                               want)
