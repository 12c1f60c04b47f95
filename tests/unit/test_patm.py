"""PATM equals the token mixer of the released Wave-MLP code
(huawei-noah/Efficient-AI-Backbones, wavemlp_pytorch/models/wavemlp.py,
class PATM, mode 'fc'), re-stated below as plain functions on the same
weights."""
import pytest
import torch
import torch.nn.functional as F

import mmwsss.mm_components  # noqa: F401,I001  (compat fixes before mmseg)
from mmwsss.models.utils import PATM, PATMBlock


def _bn_eval(x, bn):
    return F.batch_norm(x, bn.running_mean, bn.running_var, bn.weight,
                        bn.bias, training=False, eps=bn.eps)


def released_patm(x, m):
    """The released forward, line by line, with the weights of ``m``."""
    B, C, H, W = x.shape
    theta_h = F.relu(_bn_eval(F.conv2d(x, m.theta_h.conv.weight,
                                       m.theta_h.conv.bias), m.theta_h.bn))
    theta_w = F.relu(_bn_eval(F.conv2d(x, m.theta_w.conv.weight,
                                       m.theta_w.conv.bias), m.theta_w.bn))
    x_h = F.conv2d(x, m.fc_h.weight)
    x_w = F.conv2d(x, m.fc_w.weight)
    x_h = torch.cat([x_h * torch.cos(theta_h), x_h * torch.sin(theta_h)], 1)
    x_w = torch.cat([x_w * torch.cos(theta_w), x_w * torch.sin(theta_w)], 1)
    # nn.Conv2d(2*dim, dim, (1,7), padding=(0,3), groups=dim, bias=False)
    h = F.conv2d(x_h, m.tfc_h.weight, padding=(0, 3), groups=C)
    w = F.conv2d(x_w, m.tfc_w.weight, padding=(3, 0), groups=C)
    c = F.conv2d(x, m.fc_c.weight)
    a = F.adaptive_avg_pool2d(h + w + c, output_size=1)
    fc1, fc2 = m.reweight[0], m.reweight[2]  # Mlp(dim, dim // 4, dim * 3)
    a = F.conv2d(F.gelu(F.conv2d(a, fc1.weight, fc1.bias)), fc2.weight,
                 fc2.bias)
    a = a.reshape(B, C, 3).permute(2, 0, 1).softmax(dim=0)
    a = a.unsqueeze(-1).unsqueeze(-1)
    out = h * a[0] + w * a[1] + c * a[2]
    return F.conv2d(out, m.proj.weight, m.proj.bias)


def _randomise(module, seed=0):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for t in list(module.parameters()) + [
                b for n, b in module.named_buffers() if 'running' in n]:
            t.copy_(torch.rand(t.shape, generator=g) * 0.5 + 0.25
                    if t.dim() == 1 else torch.randn(t.shape, generator=g)
                    * 0.3)
    return module


def test_patm_default_is_the_released_operator():
    torch.manual_seed(0)
    m = _randomise(PATM(16).eval())
    assert m.pairing == 'released'
    assert tuple(m.tfc_h.weight.shape) == (16, 2, 1, 7)
    assert m.theta_h.conv.bias is not None  # conv + BN with bias, as released
    x = torch.randn(2, 16, 9, 11)
    with torch.no_grad():
        ref = released_patm(x, m)
        out = m(x)
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)
    assert ref.abs().mean() > 0.05


def test_released_pairing_mixes_channels_2i_and_2i1():
    """Output channel g of the row mixing reads x_{2g}, x_{2g+1} (cos half)
    for g < C/2 and nothing else."""
    m = PATM(4).tfc_h
    amp = torch.zeros(1, 4, 1, 9)
    theta = torch.zeros(1, 4, 1, 9)  # cos = 1, sin = 0
    amp[0, 3, 0, 4] = 1.0  # channel 3 -> cat channels 3 (cos) and 7 (sin=0)
    with torch.no_grad():
        out = m(amp, theta)
    touched = out.abs().sum(dim=(0, 2, 3)) > 0
    assert touched.tolist() == [False, True, False, False]  # 3 // 2 == 1


def test_channel_pairing_option_differs_and_block_passes_it():
    torch.manual_seed(0)
    x = torch.randn(1, 8, 6, 6)
    assert PATMBlock(8, pairing='channel').mixer.pairing == 'channel'
    assert PATMBlock(8).mixer.pairing == 'released'
    assert PATMBlock(8).eval()(x).shape == x.shape
    with pytest.raises(ValueError, match='pairing'):
        PATM(8, pairing='interleaved')
