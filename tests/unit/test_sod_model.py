"""The RGB-SOD network and its data pieces: shapes and gradients with a tiny
Swin and with a ResNet, the edge ablation switch, the losses, the PATM
block, the mask/edge transforms and the DUTS dataset."""
import os
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.structures import PixelData

from conftest import REPO

SWIN_TOY_CFG = osp.join(REPO, 'configs', 'sod',
                        'rgbsod_swin-tiny-p4-w5_1xb8-800_toy-160x160.py')
R18_TOY_CFG = osp.join(REPO, 'configs', 'sod',
                       'rgbsod_r18-w16_1xb8-800_toy-160x160.py')


def build(cfg_model):
    import mmwsss.mm_components  # noqa: F401  (registers components, compat fixes)
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    from mmengine.model import revert_sync_batchnorm
    init_default_scope('mmseg')
    return revert_sync_batchnorm(MODELS.build(cfg_model))  # CPU


def toy_model_cfg(config=SWIN_TOY_CFG, **overrides):
    cfg = Config.fromfile(config)
    model = cfg.model
    for key, value in overrides.items():
        node = model
        *path, last = key.split('.')
        for p in path:
            node = node[p]
        node[last] = value
    return model


def data_samples(n, size, rng):
    from mmseg.structures import SegDataSample
    from mmwsss.datasets.transforms import GenerateEdgeTarget
    samples = []
    for _ in range(n):
        mask = np.zeros(size, np.uint8)
        cv2.circle(mask, (int(rng.integers(20, size[1] - 20)),
                          int(rng.integers(20, size[0] - 20))), 15, 1, -1)
        edge = GenerateEdgeTarget(radius=1)(dict(gt_seg_map=mask))
        s = SegDataSample()
        s.gt_sem_seg = PixelData(data=torch.from_numpy(mask)[None].long())
        s.gt_edge_map = PixelData(
            data=torch.from_numpy(edge['gt_edge_map'])[None].long())
        s.set_metainfo(dict(img_shape=size, ori_shape=size, pad_shape=size))
        samples.append(s)
    return samples


def check_forward_backward(model, size=(96, 96), with_edge=True):
    rng = np.random.default_rng(0)
    model.train()
    x = torch.randn(2, 3, *size)
    feats = model.extract_feat(x)
    # neck: 4 stages at strides 4..32, edge features and logit by name
    assert len(feats) == 4
    assert (feats.edge_feat is not None) == with_edge
    assert (feats.edge_logit is not None) == with_edge
    for i in range(4):
        assert feats[i].shape[2:] == (size[0] // 2**(i + 2),
                                      size[1] // 2**(i + 2))
    main, sides, edge = model.decode_head.forward_all(feats)
    assert main.shape == (2, 1, size[0] // 4, size[1] // 4)
    assert [s.shape[2] for s in sides] == [size[0] // 8, size[0] // 16,
                                           size[0] // 32]
    if with_edge:
        assert edge.shape == (2, 1, size[0] // 4, size[1] // 4)
    else:
        assert edge is None
    losses = model.loss(x, data_samples(2, size, rng))
    expected = {'decode.loss_structure', 'decode.loss_structure_side2',
                'decode.loss_structure_side3', 'decode.loss_structure_side4',
                'decode.acc_seg'}
    if with_edge:
        expected.add('decode.loss_edge')
    assert set(losses) == expected
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    total.backward()
    no_grad = [n for n, p in model.named_parameters()
               if p.requires_grad and (p.grad is None
                                       or not torch.isfinite(p.grad).all())]
    assert not no_grad, no_grad[:5]
    # inference: probabilities at the input size, in seg_logits
    model.eval()
    with torch.no_grad():
        out = model.predict(x, data_samples(2, size, rng))
    prob = out[0].seg_logits.data
    assert prob.shape == (1, *size)
    assert 0 <= prob.min() and prob.max() <= 1
    assert torch.equal(out[0].pred_sem_seg.data,
                       (prob > model.decode_head.threshold).to(prob))
    return model


def test_tiny_swin_forward_backward_shapes():
    model = build(toy_model_cfg())
    from mmseg.models.backbones import SwinTransformer
    assert isinstance(model.backbone, SwinTransformer)
    check_forward_backward(model)


def test_without_edge_branch():
    # the ablation is one switch: the head follows the neck
    model = build(toy_model_cfg(**{'neck.with_edge': False}))
    assert not hasattr(model.neck.r4, 'edge_pred')
    assert model.decode_head.edge_channels is None
    assert model.decode_head.loss_edge is None
    assert [f.conv.in_channels for f in model.decode_head.fuses] == \
        [2 * model.decode_head.channels] * 3
    check_forward_backward(model, with_edge=False)


def test_head_takes_edge_width_from_neck():
    cfg = toy_model_cfg()
    model = build(cfg)
    width = cfg.neck.edge_channels
    assert model.decode_head.edge_channels == width
    assert [f.conv.in_channels for f in model.decode_head.fuses] == \
        [2 * model.decode_head.channels + width] * 3
    with pytest.raises(ValueError, match='does not match the neck'):
        build(toy_model_cfg(**{'decode_head.edge_channels': width + 1}))


def test_edge_outputs_by_name_give_the_index_based_numbers():
    """The decoder reads the neck's edge outputs by name and computes what
    the index-based wiring computed (neck tuple ``(s1..s4, edge features,
    edge logit)``, ``edge_feat_index=4``, ``edge_logit_index=5``): same
    parameter names, so an old checkpoint loads, and same outputs."""
    import torch.nn.functional as F
    from mmseg.models.utils import resize
    torch.manual_seed(0)
    model = build(toy_model_cfg()).eval()
    state = model.state_dict()
    model.load_state_dict(state, strict=True)
    head = model.decode_head
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        feats = model.extract_feat(x)
        main, sides, edge = head.forward_all(feats)
        # the old wiring, re-stated on a plain 6-tuple
        old = tuple(feats) + (feats.edge_feat, feats.edge_logit)
        lat = [m(old[i]) for m, i in zip(head.laterals, head.in_index)]
        d = head.patm_stages[3](lat[3])
        for lvl in (2, 1, 0):
            up = head.tconvs[lvl](d)
            if up.shape[2:] != lat[lvl].shape[2:]:
                up = resize(up, size=lat[lvl].shape[2:], mode='bilinear')
            e = old[4]
            if e.shape[2:] != up.shape[2:]:
                e = F.adaptive_avg_pool2d(e, up.shape[2:])
            d = head.patm_stages[lvl](head.fuses[lvl](
                torch.cat([lat[lvl], up, e], 1)))
        ref = head.cls_seg(d)
    assert torch.equal(main, ref)
    assert edge is old[5]


def test_head_with_edge_refuses_inputs_without_edge():
    model = build(toy_model_cfg())
    feats = tuple(model.extract_feat(torch.randn(1, 3, 64, 64)))
    with pytest.raises(ValueError, match='carry none'):
        model.decode_head.forward_all(feats)


def test_resnet_backbone_plugs_in():
    model = build(toy_model_cfg(R18_TOY_CFG))
    from mmseg.models.backbones import ResNetV1c
    assert isinstance(model.backbone, ResNetV1c)
    check_forward_backward(model, size=(64, 96))


def test_patm_block():
    from mmwsss.models.utils import PATM, PATMBlock
    torch.manual_seed(0)
    x = torch.randn(2, 8, 9, 11)
    block = PATMBlock(8, mlp_ratio=2).eval()
    assert block(x).shape == x.shape
    mixer = PATM(8).eval()
    # the row branch mixes only along rows: a change in one row leaves the
    # row branch's output of the other rows untouched
    def row_branch(inp):
        return mixer.tfc_h(mixer.fc_h(inp), mixer.theta_h(inp))

    x2 = x.clone()
    x2[:, :, 4] += 1
    changed = (row_branch(x2) - row_branch(x)).abs().sum(dim=(0, 1, 3)) > 1e-6
    assert changed.tolist() == [i == 4 for i in range(9)]
    # pairing='channel': a grouped convolution over the interleaved wave
    # channels (x cos t, x sin t) of each channel (the released operator's
    # pairing is tested in test_patm.py)
    amp, theta = torch.randn(1, 3, 5, 9), torch.randn(1, 3, 5, 9)
    wave_conv = PATM(3, pairing='channel').tfc_h
    grouped = torch.nn.Conv2d(6, 3, (1, 7), padding=(0, 3), groups=3,
                              bias=False)
    with torch.no_grad():
        grouped.weight[:, 0:1] = wave_conv.conv_cos.weight
        grouped.weight[:, 1:2] = wave_conv.conv_sin.weight
    wave = torch.stack([amp * torch.cos(theta), amp * torch.sin(theta)],
                       dim=2).flatten(1, 2)
    torch.testing.assert_close(wave_conv(amp, theta), grouped(wave))


def test_structure_loss():
    from mmwsss.models.losses import StructureLoss
    loss = StructureLoss(kernel_size=5)
    target = torch.zeros(1, 16, 16, dtype=torch.long)
    target[:, 4:12, 4:12] = 1
    good = (target.float() * 2 - 1)[:, None] * 20
    bad = -good
    assert loss(good, target) < 1e-3
    assert loss(bad, target) > 1.0
    # ignored pixels do not count
    noisy = good.clone()
    noisy[..., :2] = -good[..., :2]
    ignored = target.clone()
    ignored[..., :2] = 255
    assert loss(noisy, ignored) < 1e-3 < loss(noisy, target)
    # hand computation with a flat logit: BCE = log 2 everywhere, so the
    # weighted BCE is log 2; wIoU = 1 - (0.5 S1 + 1)/(S1 + 0.5 S0 - 0.5 S1
    # + 1) with S1 = sum(w m), S0 = sum(w)
    mask = target[:, None].float()
    w = 1 + 5 * (F.avg_pool2d(mask, 5, 1, 2) - mask).abs()
    s1, s_all = (w * mask).sum(), w.sum()
    inter = 0.5 * s1
    union = 0.5 * s_all + s1
    expected = np.log(2) + 1 - (inter + 1) / (union - inter + 1)
    assert loss(torch.zeros(1, 1, 16, 16), target).item() == \
        pytest.approx(expected.item(), rel=1e-5)


def test_edge_bce_loss_is_class_balanced():
    from mmwsss.models.losses import EdgeBCELoss
    target = torch.zeros(1, 10, 10, dtype=torch.long)
    target[:, 5] = 1  # 10 edge pixels, 90 others
    logits = torch.zeros(1, 1, 10, 10)
    logits[:, :, 5] = 2.0
    logits[:, :, :5] = -1.0
    bce_pos = F.softplus(torch.tensor(-2.0))
    bce_neg = (50 * F.softplus(torch.tensor(-1.0)) +
               40 * F.softplus(torch.tensor(0.0))) / 90
    assert EdgeBCELoss()(logits, target).item() == pytest.approx(
        (0.5 * (bce_pos + bce_neg)).item(), rel=1e-5)
    plain = (10 * bce_pos + 90 * bce_neg) / 100
    assert EdgeBCELoss(balanced=False)(logits, target).item() == \
        pytest.approx(plain.item(), rel=1e-5)


def test_binarize_mask_and_edge_target():
    from mmwsss.datasets.transforms import BinarizeMask, GenerateEdgeTarget
    mask = np.zeros((20, 20), np.uint8)
    mask[5:15, 5:15] = 255
    mask[5, 5:15] = 100  # anti-aliased border row, below the threshold
    out = BinarizeMask()(dict(gt_seg_map=mask.copy()))['gt_seg_map']
    assert set(np.unique(out)) == {0, 1}
    assert out.sum() == 9 * 10
    # a 0/1 mask is already binary: kept
    assert np.array_equal(
        BinarizeMask()(dict(gt_seg_map=out.copy()))['gt_seg_map'], out)
    with pytest.raises(ValueError, match='single-channel'):
        BinarizeMask()(dict(gt_seg_map=np.zeros((4, 4, 3), np.uint8)))
    # edge band of a 10 x 10 square, radius 1 (3x3 cross): dilation gives
    # 12 x 12 minus the 4 corners, erosion 8 x 8
    square = np.zeros((20, 20), np.uint8)
    square[5:15, 5:15] = 1
    edge = GenerateEdgeTarget(radius=1)(
        dict(gt_seg_map=square))['gt_edge_map']
    assert edge.sum() == (144 - 4) - 64
    assert edge[5, 5] == 1 and edge[4, 7] == 1 and edge[10, 10] == 0
    # an object touching the image border has no edge along the border
    square[:, :3] = 1
    edge = GenerateEdgeTarget(radius=1)(
        dict(gt_seg_map=square))['gt_edge_map']
    assert edge[10, 0] == 0
    ignore = np.full((6, 6), 255, np.uint8)
    assert (GenerateEdgeTarget()(dict(gt_seg_map=ignore))['gt_edge_map']
            == 255).all()


def test_duts_dataset_reads_and_checks_pairs(toy_root, tmp_path):
    import mmwsss.mm_components  # noqa: F401  (registers components, compat fixes)
    from mmengine.registry import init_default_scope
    from mmseg.registry import DATASETS
    init_default_scope('mmseg')
    duts = osp.join(toy_root, 'DUTS')
    n_images = len(os.listdir(osp.join(duts, 'DUTS-TE', 'DUTS-TE-Image')))
    pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
                dict(type='BinarizeMask'), dict(type='PackSegInputs')]
    ds = DATASETS.build(dict(
        type='DUTSDataset', data_root=duts, pipeline=pipeline,
        data_prefix=dict(img_path='DUTS-TE/DUTS-TE-Image',
                         seg_map_path='DUTS-TE/DUTS-TE-Mask')))
    assert len(ds) == n_images > 0
    assert ds.metainfo['classes'] == ('background', 'salient')
    item = ds[0]
    seg = item['data_samples'].gt_sem_seg.data
    assert set(seg.unique().tolist()) <= {0, 1} and seg.sum() > 0
    # ECSSD-style folder pair; a missing mask is an error naming the file
    ecssd = tmp_path / 'ECSSD'
    shutil.copytree(osp.join(duts, 'DUTS-TE', 'DUTS-TE-Image'),
                    ecssd / 'images')
    shutil.copytree(osp.join(duts, 'DUTS-TE', 'DUTS-TE-Mask'),
                    ecssd / 'ground_truth_mask')
    victim = sorted(os.listdir(ecssd / 'ground_truth_mask'))[0]
    os.remove(ecssd / 'ground_truth_mask' / victim)
    with pytest.raises(ValueError, match=victim):
        DATASETS.build(dict(
            type='DUTSDataset', data_root=str(ecssd), pipeline=pipeline,
            data_prefix=dict(img_path='images',
                             seg_map_path='ground_truth_mask')))
    with pytest.raises(ValueError, match='folder not found'):
        DATASETS.build(dict(type='DUTSDataset', data_root=str(tmp_path),
                            pipeline=pipeline))


def test_duts_dataset_named_layouts(toy_root, tmp_path):
    """The official DUTS names and the train/images + train/masks layout
    (the one of ../shared/data/duts_dev) by ``layout``; 'auto' finds
    either; neither is an error naming what it looked for."""
    import mmwsss.mm_components  # noqa: F401
    from mmengine.registry import init_default_scope
    from mmseg.registry import DATASETS
    init_default_scope('mmseg')
    duts = osp.join(toy_root, 'DUTS')
    flat = tmp_path / 'flat'
    for split, part in (('train', 'TR'), ('val', 'TE')):
        shutil.copytree(osp.join(duts, f'DUTS-{part}', f'DUTS-{part}-Image'),
                        flat / split / 'images')
        shutil.copytree(osp.join(duts, f'DUTS-{part}', f'DUTS-{part}-Mask'),
                        flat / split / 'masks')
    n = {split: len(os.listdir(osp.join(duts, f'DUTS-{part}',
                                        f'DUTS-{part}-Image')))
         for split, part in (('train', 'TR'), ('val', 'TE'))}
    assert n['train'] != n['val']

    def build(root, **kw):
        return DATASETS.build(dict(type='DUTSDataset', data_root=str(root),
                                   pipeline=[], **kw))

    for root, layout in ((duts, 'DUTS'), (flat, 'images_masks'),
                         (duts, 'auto'), (flat, 'auto')):
        for split in ('train', 'val'):
            ds = build(root, layout=layout, split=split)
            assert len(ds) == n[split], (root, layout, split)
            names = {osp.basename(ds.get_data_info(i)['img_path'])
                     for i in range(len(ds))}
            part = 'TR' if split == 'train' else 'TE'
            folder = (flat / split / 'images' if root == flat else osp.join(
                duts, f'DUTS-{part}', f'DUTS-{part}-Image'))
            assert names == set(os.listdir(folder))
    with pytest.raises(ValueError, match='train/images'):
        build(tmp_path / 'nothing', layout='auto')
    with pytest.raises(ValueError, match='unknown layout'):
        build(duts, layout='ECSSD')
    with pytest.raises(ValueError, match='split'):
        build(duts, layout='DUTS', split='test')


def test_region_supervision_stand_in():
    """Optional NAMLab stand-in: scikit-image regions, packed, and a loss
    that is 0 for a map constant inside each region."""
    from mmwsss.datasets.transforms import GenerateRegionMap, PackSODInputs
    from mmwsss.models.losses import RegionConsistencyLoss
    from mmwsss.models.losses.region_consistency_loss import \
        region_consistency
    img = np.zeros((32, 32, 3), np.uint8)
    img[:, 16:] = (40, 200, 90)
    for kwargs in (dict(method='felzenszwalb'),
                   dict(method='slic', n_segments=4, compactness=1.0)):
        out = GenerateRegionMap(**kwargs)(dict(img=img))
        regions = out['gt_region_map']
        assert regions.shape == (32, 32)
        # no region straddles the colour edge
        assert not set(np.unique(regions[:, :16])) & set(
            np.unique(regions[:, 16:]))
    out['gt_seg_map'] = np.zeros((32, 32), np.uint8)
    packed = PackSODInputs()(out)['data_samples']
    assert packed.gt_region_map.data.shape == (1, 32, 32)
    # hand check: regions {0: left half, 1: right half}
    r = torch.zeros(1, 1, 2, 4, dtype=torch.long)
    r[..., 2:] = 1
    p = torch.tensor([[[[0.2, 0.4, 0.9, 0.9], [0.2, 0.4, 0.9, 0.9]]]])
    assert region_consistency(p, r).item() == pytest.approx(4 * 0.01 / 8)
    # through the head: loss_region appears when configured
    model = build(toy_model_cfg(**{
        'decode_head.loss_region': dict(type='RegionConsistencyLoss')}))
    assert isinstance(model.decode_head.loss_region, RegionConsistencyLoss)
    samples = data_samples(2, (64, 64), np.random.default_rng(0))
    for s in samples:
        s.gt_region_map = PixelData(
            data=torch.arange(64 * 64).view(1, 64, 64) // 512)
    losses = model.loss(torch.randn(2, 3, 64, 64), samples)
    assert losses['decode.loss_region'] > 0
    with pytest.raises(KeyError, match='GenerateRegionMap'):
        model.loss(torch.randn(2, 3, 64, 64),
                   data_samples(2, (64, 64), np.random.default_rng(0)))
