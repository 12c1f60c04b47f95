"""The SOD configs' parameter groups, built from the configs: the backbone
(position tables included) at lr x0.1, no weight decay on any norm or
position table, decay on every other weight."""
import os.path as osp

import pytest
import torch

import mmwsss.mm_components  # noqa: F401  (registers components, compat fixes)
from conftest import REPO
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

LR, WD = 1e-4, 0.01
NORMS = (torch.nn.LayerNorm, torch.nn.GroupNorm,
         torch.nn.modules.batchnorm._BatchNorm)


@pytest.mark.parametrize('name', ['rgbsod_swin-t-p4-w7_4xb8-13k_duts-'
                                  '384x384.py',
                                  'rgbsod_swin-b-p4-w12_4xb8-13k_duts-'
                                  '384x384.py'])
def test_sod_optimizer_groups(name):
    from mmseg.registry import MODELS
    cfg = Config.fromfile(osp.join(REPO, 'configs/sod', name))
    init_default_scope('mmseg')
    cfg.model.backbone.init_cfg = None          # nothing downloaded
    model = MODELS.build(cfg.model)
    opt = build_optim_wrapper(model, cfg.optim_wrapper).optimizer
    assert opt.defaults['lr'] == LR and opt.defaults['weight_decay'] == WD
    group_of = {id(p): g for g in opt.param_groups for p in g['params']}
    params = dict(model.named_parameters())
    norm_params = {f'{m_name}.{p_name}' for m_name, m in model.named_modules()
                   if isinstance(m, NORMS)
                   for p_name, _ in m.named_parameters(recurse=False)}

    def lr_wd(param_name):
        g = group_of[id(params[param_name])]
        return g['lr'], g['weight_decay']

    last = len(cfg.model.backbone.depths) - 1
    deep = cfg.model.backbone.depths[2] - 1       # Swin-B: block 17
    # the four the issue names: a backbone norm, a bias table, a neck conv,
    # a head conv
    assert lr_wd('backbone.stages.0.blocks.0.norm1.weight') == \
        pytest.approx((LR * 0.1, 0.0))
    assert lr_wd(f'backbone.stages.2.blocks.{deep}.norm2.bias') == \
        pytest.approx((LR * 0.1, 0.0))
    table = f'backbone.stages.{last}.blocks.0.attn.w_msa.' \
        'relative_position_bias_table'
    assert lr_wd(table) == pytest.approx((LR * 0.1, 0.0))
    neck_conv = next(n for n in params if n.startswith('neck.') and
                     params[n].ndim == 4)
    head_conv = next(n for n in params if n.startswith('decode_head.') and
                     params[n].ndim == 4)
    assert lr_wd(neck_conv) == pytest.approx((LR, WD))
    assert lr_wd(head_conv) == pytest.approx((LR, WD))
    # and every parameter: lr by place, no decay on norms / tables
    for n in params:
        lr, wd = lr_wd(n)
        assert lr == pytest.approx(LR * 0.1 if n.startswith('backbone.')
                                   else LR), n
        no_decay = n in norm_params or 'position' in n
        assert wd == pytest.approx(0.0 if no_decay else WD), n
    assert any(n.startswith('neck.') for n in norm_params)
    assert any('downsample.norm' in n for n in norm_params)
