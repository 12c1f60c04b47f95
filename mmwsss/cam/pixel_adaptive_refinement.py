"""Training-free pixel-adaptive refinement (PAR) of class score maps.

PAR (Ru et al., "Learning Affinity from Attention", CVPR 2022) propagates
scores between each pixel and its 8 neighbours at several dilations with an
affinity built from the image itself: colour differences, scaled by the
local colour spread, and a weak preference for near neighbours. Iterated,
it pulls CAMs onto image edges -- a torch-only, CPU-friendly stand-in for
a dense CRF (no compiled dependency). Pure torch, no OpenMMLab import.

Here the affinity of every pixel sums to one (a convex combination), so a
constant plane (the background threshold) stays constant and ranks between
score planes stay comparable with the unrefined ones.
"""
import math

import torch
import torch.nn.functional as F

#: AFA's defaults
DEFAULT_DILATIONS = (1, 2, 4, 8, 12, 24)
DEFAULT_NUM_ITER = 10
DEFAULT_W1 = 0.3
DEFAULT_W2 = 0.01

_NEIGHBOURS = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0),
               (1, 1))


def neighbour_offsets(dilations=DEFAULT_DILATIONS):
    """(dy, dx) of the 8 neighbours at every dilation, in order."""
    return [(dy * d, dx * d) for d in dilations for dy, dx in _NEIGHBOURS]


def _shifted(x, offsets, pad):
    """Yield ``x`` (N x C x H x W) shifted by each offset, borders
    replicated: ``out[..., i, j] = x[..., i + dy, j + dx]``."""
    height, width = x.shape[-2:]
    padded = F.pad(x, (pad, pad, pad, pad), mode='replicate')
    for dy, dx in offsets:
        yield padded[..., pad + dy:pad + dy + height,
                     pad + dx:pad + dx + width]


def par_affinity(image, dilations=DEFAULT_DILATIONS, w1=DEFAULT_W1,
                 w2=DEFAULT_W2):
    """Affinity of every pixel to its neighbours: N x K x H x W, summing to
    one over K (the ``8 * len(dilations)`` offsets of
    :func:`neighbour_offsets`).

    Args:
        image (Tensor): N x 3 x H x W float (any scale: differences are
            divided by the local spread).
    """
    offsets = neighbour_offsets(dilations)
    pad = max(dilations)
    image = image.float()
    neigh = torch.stack(list(_shifted(image, offsets, pad)), dim=2)
    diff = (neigh - image.unsqueeze(2)).abs()              # N x C x K x H x W
    spread = neigh.std(dim=2, keepdim=True)
    colour = -(diff / (spread + 1e-8) / w1).pow(2).mean(dim=1)  # N x K x H x W
    dist = torch.tensor([math.hypot(dy, dx) for dy, dx in offsets],
                        dtype=image.dtype, device=image.device)
    pos = -(dist / (dist.std() + 1e-8) / w1).pow(2)
    aff = colour.softmax(dim=1) + w2 * pos.softmax(dim=0)[None, :, None, None]
    return aff / (1.0 + w2)


def pixel_adaptive_refine(image, scores, num_iter=DEFAULT_NUM_ITER,
                          dilations=DEFAULT_DILATIONS, w1=DEFAULT_W1,
                          w2=DEFAULT_W2):
    """Refine score maps with PAR.

    Args:
        image (Tensor): 3 x H x W or N x 3 x H x W, float.
        scores (Tensor): P x H x W or N x P x H x W (e.g. background plane +
            CAMs), at the image's size.
        num_iter (int): propagation steps.

    Returns:
        Tensor: refined scores, same shape as ``scores``.
    """
    squeeze = scores.dim() == 3
    if image.dim() == 3:
        image = image[None]
    if squeeze:
        scores = scores[None]
    if image.shape[-2:] != scores.shape[-2:]:
        raise ValueError(f'image {tuple(image.shape[-2:])} and scores '
                         f'{tuple(scores.shape[-2:])} differ in size')
    aff = par_affinity(image, dilations, w1, w2)
    offsets = neighbour_offsets(dilations)
    pad = max(dilations)
    scores = scores.float()
    for _ in range(num_iter):
        out = torch.zeros_like(scores)
        for k, shifted in enumerate(_shifted(scores, offsets, pad)):
            out += aff[:, k:k + 1] * shifted
        scores = out
    return scores[0] if squeeze else scores
