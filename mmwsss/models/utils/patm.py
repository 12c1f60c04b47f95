"""Phase-Aware Token Mixing (PATM) from Wave-MLP (Tang et al., CVPR 2022).

Each token is a wave with amplitude ``x`` and a phase ``theta`` estimated from
the token itself. The token mixer concatenates ``[x cos(theta), x sin(theta)]``
(2C channels) and aggregates it along rows (1x7) and columns (7x1); a channel
branch (1x1) is added, the three branches are reweighted by a small MLP on
their pooled sum (softmax over branches) and projected.

``pairing='released'`` (default) is the operator of the released Wave-MLP
code (huawei-noah/Efficient-AI-Backbones, ``wavemlp.py``, class ``PATM``):
the row/column mixing is a convolution with ``groups=C`` over the 2C
channels of the concatenation, so output channel ``g`` mixes concatenated
channels ``2g`` and ``2g+1``: ``x_{2g} cos`` with ``x_{2g+1} cos`` for
``g < C/2`` and the sin halves for the others; the phase estimators are
conv (with bias) + BN + ReLU; the reweighting MLP's 3C outputs are read as
(C, 3). ``pairing='channel'`` is the variant where each output channel
mixes the ``(x cos, x sin)`` wave of its own channel (two depthwise
convolutions; mmwsss's earlier operator), with the 3C outputs read as
(3, C). :class:`PATMBlock` wraps it as a pre-norm residual block with a
channel MLP, like Wave-MLP's ``WaveBlock``.
Plain PyTorch with mmcv norm layers; no registry.
"""
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule, build_norm_layer
from mmcv.cnn.bricks import DropPath


class _WaveConv(nn.Module):
    """``conv(x cos(theta)) + conv'(x sin(theta))`` with depthwise kernels:
    each output channel mixes the wave ``(x cos, x sin)`` of its own channel
    along a row or a column."""

    def __init__(self, channels, kernel_size, padding):
        super().__init__()
        self.conv_cos = nn.Conv2d(channels, channels, kernel_size,
                                  padding=padding, groups=channels,
                                  bias=False)
        self.conv_sin = nn.Conv2d(channels, channels, kernel_size,
                                  padding=padding, groups=channels,
                                  bias=False)

    def forward(self, amplitude, theta):
        return (self.conv_cos(amplitude * torch.cos(theta)) +
                self.conv_sin(amplitude * torch.sin(theta)))


class _ReleasedWaveConv(nn.Conv2d):
    """Wave-MLP's released ``tfc``: ``Conv2d(2C, C, k, groups=C)`` over
    ``cat([x cos(theta), x sin(theta)])`` (output channel g mixes the
    concatenated channels 2g and 2g+1)."""

    def __init__(self, channels, kernel_size, padding):
        super().__init__(2 * channels, channels, kernel_size,
                         padding=padding, groups=channels, bias=False)

    def forward(self, amplitude, theta):
        wave = torch.cat([amplitude * torch.cos(theta),
                          amplitude * torch.sin(theta)], dim=1)
        return super().forward(wave)  # (N, 2C, H, W) -> (N, C, H, W)


class PATM(nn.Module):
    """The phase-aware token mixer on (N, C, H, W) features.

    Args:
        channels (int): C.
        kernel_size (int): length of the row / column mixing kernels (7).
        norm_cfg (dict): norm of the phase estimators. Default BN.
        proj_drop (float): dropout after the projection.
        pairing (str): 'released' (default): Wave-MLP's released operator;
            'channel': each output channel mixes its own (cos, sin) pair
            (see the module docstring).
    """

    PAIRINGS = ('released', 'channel')

    def __init__(self, channels, kernel_size=7, norm_cfg=dict(type='BN'),
                 proj_drop=0.0, pairing='released'):
        super().__init__()
        if pairing not in self.PAIRINGS:
            raise ValueError(f'pairing must be one of {self.PAIRINGS}, '
                             f'got {pairing!r}')
        self.pairing = pairing
        c, k = channels, kernel_size
        self.fc_h = nn.Conv2d(c, c, 1, bias=False)
        self.fc_w = nn.Conv2d(c, c, 1, bias=False)
        self.fc_c = nn.Conv2d(c, c, 1, bias=False)
        # phase per token and channel (Wave-MLP's 'fc' mode); the released
        # code has a conv bias before its BN
        bias = True if pairing == 'released' else 'auto'
        with warnings.catch_warnings():  # the bias is deliberate
            warnings.filterwarnings('ignore', message='Unnecessary conv bias')
            self.theta_h = ConvModule(c, c, 1, bias=bias, norm_cfg=norm_cfg,
                                      act_cfg=dict(type='ReLU'))
            self.theta_w = ConvModule(c, c, 1, bias=bias, norm_cfg=norm_cfg,
                                      act_cfg=dict(type='ReLU'))
        # mix the wave along a row (1 x k) / a column (k x 1)
        wave_conv = (_ReleasedWaveConv if pairing == 'released'
                     else _WaveConv)
        self.tfc_h = wave_conv(c, (1, k), (0, k // 2))
        self.tfc_w = wave_conv(c, (k, 1), (k // 2, 0))
        hidden = max(c // 4, 4)
        self.reweight = nn.Sequential(
            nn.Conv2d(c, hidden, 1), nn.GELU(), nn.Conv2d(hidden, 3 * c, 1))
        self.proj = nn.Conv2d(c, c, 1)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x):
        """(N, C, H, W) -> (N, C, H, W)."""
        n, c = x.shape[:2]
        h = self.tfc_h(self.fc_h(x), self.theta_h(x))
        w = self.tfc_w(self.fc_w(x), self.theta_w(x))
        ch = self.fc_c(x)
        a = self.reweight(F.adaptive_avg_pool2d(h + w + ch, 1))  # N, 3C, 1, 1
        if self.pairing == 'released':
            a = a.view(n, c, 3, 1, 1).permute(0, 2, 1, 3, 4)
        else:
            a = a.view(n, 3, c, 1, 1)
        a = a.softmax(dim=1)  # over the three branches
        out = h * a[:, 0] + w * a[:, 1] + ch * a[:, 2]
        return self.proj_drop(self.proj(out))


class PATMBlock(nn.Module):
    """``x + PATM(norm(x))`` then ``x + MLP(norm(x))`` (a Wave-MLP block).

    Args:
        channels (int): C.
        mlp_ratio (float): hidden width of the channel MLP, times C.
        kernel_size (int): PATM kernel length.
        norm_cfg (dict): Default BN.
        drop_path (float): stochastic depth rate.
        pairing (str): PATM's wave pairing ('released' or 'channel').
    """

    def __init__(self, channels, mlp_ratio=2.0, kernel_size=7,
                 norm_cfg=dict(type='BN'), drop_path=0.0, pairing='released'):
        super().__init__()
        self.norm1 = build_norm_layer(norm_cfg, channels)[1]
        self.mixer = PATM(channels, kernel_size, norm_cfg, pairing=pairing)
        self.norm2 = build_norm_layer(norm_cfg, channels)[1]
        hidden = int(channels * mlp_ratio)
        self.mlp = nn.Sequential(
            nn.Conv2d(channels, hidden, 1), nn.GELU(),
            nn.Conv2d(hidden, channels, 1))
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()

    def forward(self, x):
        x = x + self.drop_path(self.mixer(self.norm1(x)))
        return x + self.drop_path(self.mlp(self.norm2(x)))
