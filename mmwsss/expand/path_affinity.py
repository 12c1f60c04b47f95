"""Inter-pixel affinities from a class-boundary map, along the path between
the two pixels (IRN, ``misc/indexing.py``: ``PathIndex``,
``edge_to_affinity``).

For a pair (p, q = p + o) the affinity is ``1 - max B(c)`` over the cells c of
the digital line from p to q (both ends included), ``B`` the boundary
probability. The offsets are IRN's half plane of directions within a radius
(``(0, x)`` for ``0 < x < r`` and ``(y, x)`` for ``0 < y < r``, ``x^2 + y^2 <
r^2``); the other half follows by symmetry. The path of ``(dy, dx)`` holds
the cells of its bounding box at a distance below one cell from the line
(IRN's rule). Cells outside the map count as boundary (1), so a pair leaving
the map has affinity 0.

Pure torch, CPU or GPU, differentiable (the relation loss trains through it).
"""
import functools

import torch
import torch.nn.functional as F


@functools.lru_cache(maxsize=16)
def search_paths(radius):
    """IRN's pair offsets within ``radius`` and the path cells of each.

    Returns:
        tuple: ``offsets`` (list of (dy, dx)), ``paths`` (list of lists of
        (y, x) cells, each starting at the far end), both ordered by path
        length (as IRN groups them).
    """
    radius = int(radius)
    if radius < 2:
        raise ValueError(f'radius must be >= 2, got {radius}')
    dirs = [(0, x) for x in range(1, radius)]
    dirs += [(y, x) for y in range(1, radius)
             for x in range(-radius + 1, radius) if x * x + y * y < radius**2]
    found = []
    for dy, dx in dirs:
        len_sq = dy * dy + dx * dx
        cells = [(y, x)
                 for y in range(min(0, dy), max(0, dy) + 1)
                 for x in range(min(0, dx), max(0, dx) + 1)
                 if (dy * x - dx * y)**2 / len_sq < 1]
        cells.sort(key=lambda c: -abs(c[0]) - abs(c[1]))
        found.append(((dy, dx), cells))
    found.sort(key=lambda item: len(item[1]))  # stable: IRN's grouping
    return [f[0] for f in found], [f[1] for f in found]


def _padded(edge, radius):
    """``edge`` (B x H x W) padded with 1 below and on both sides, so that
    every path cell of every pixel lies inside: B x (H + r - 1) x
    (W + 2 (r - 1))."""
    pad = radius - 1
    return F.pad(edge, (pad, pad, 0, pad), mode='constant', value=1.0)


def _path_max(edge, radius, with_where=False):
    """Max of ``edge`` (B x H x W) over each offset's path: B x D x H x W,
    and with ``with_where`` the flat index (into the padded map) of the
    cell holding it."""
    height, width = edge.shape[-2:]
    pad = radius - 1
    padded = _padded(edge, radius)
    wp = padded.shape[-1]
    offsets, paths = search_paths(radius)
    cells = sorted({c for p in paths for c in p})
    where = {c: i for i, c in enumerate(cells)}
    views = torch.stack([
        padded[:, cy:cy + height, pad + cx:pad + cx + width]
        for cy, cx in cells
    ], dim=1)                                            # B x U x H x W
    values, flat = [], []
    start = 0
    while start < len(paths):
        length = len(paths[start])
        stop = start
        while stop < len(paths) and len(paths[stop]) == length:
            stop += 1
        group = paths[start:stop]
        idx = [[where[c] for c in p] for p in group]
        val = views[:, [p[0] for p in idx]]
        if with_where:
            cell_off = torch.tensor([[cy * wp + cx for cy, cx in p]
                                     for p in group], device=edge.device)
            off = cell_off[:, 0].view(1, -1, 1, 1).expand_as(val)
        for k in range(1, length):
            nxt = views[:, [p[k] for p in idx]]
            if with_where:
                off = torch.where(nxt > val,
                                  cell_off[:, k].view(1, -1, 1, 1), off)
            val = torch.maximum(val, nxt)
        if with_where:
            flat.append(off)
        values.append(val)
        start = stop
    values = torch.cat(values, dim=1)
    if not with_where:
        return values
    ys = torch.arange(height, device=edge.device).view(-1, 1)
    xs = torch.arange(width, device=edge.device).view(1, -1)
    base = ys * wp + pad + xs                            # H x W
    return values, torch.cat(flat, dim=1) + base


def path_affinity(edge, radius):
    """Affinity of every pixel to each of IRN's offsets.

    Args:
        edge (Tensor): boundary probabilities, B x H x W (or H x W), in
            [0, 1].
        radius (int): search radius (IRN: 10 for training, 5 for the walk).

    Returns:
        Tensor: B x D x H x W (or D x H x W): ``aff[:, d, y, x]`` is the
        affinity of (y, x) and (y, x) + ``search_paths(radius)[0][d]``.
        With gradients, the gradient of each affinity flows to the path
        cell that holds the maximum (one gather, so the backward pass costs
        one scatter of B x D x H x W values).
    """
    squeeze = edge.dim() == 2
    if squeeze:
        edge = edge[None]
    if edge.dim() != 3:
        raise ValueError(f'edge must be B x H x W, got {tuple(edge.shape)}')
    if torch.is_grad_enabled() and edge.requires_grad:
        with torch.no_grad():
            _, where = _path_max(edge, radius, with_where=True)
        flat = _padded(edge, radius).flatten(1)
        aff = 1 - flat.gather(1, where.flatten(1)).view(where.shape)
    else:
        aff = 1 - _path_max(edge, radius)
    return aff[0] if squeeze else aff


def pair_labels(label, radius, ignore_index=255):
    """IRN's pair labels (``GetAffinityLabelFromIndices``) of a label map.

    Args:
        label (Tensor): B x H x W int labels (0 background, 255 unknown).

    Returns:
        tuple[Tensor]: ``bg_pos``, ``fg_pos``, ``neg``: B x D x H x W bool,
        for the pair of each pixel and each offset: both known and equal in
        the background / in a class, both known and different. Pairs leaving
        the map are False in all three.
    """
    offsets, _ = search_paths(radius)
    height, width = label.shape[-2:]
    pad = radius - 1
    padded = F.pad(label, (pad, pad, 0, pad), mode='constant',
                   value=ignore_index)
    dst = torch.stack([
        padded[:, dy:dy + height, pad + dx:pad + dx + width]
        for dy, dx in offsets
    ], dim=1)
    src = label[:, None]
    valid = (src != ignore_index) & (dst != ignore_index)
    equal = src == dst
    pos = equal & valid
    return pos & (src == 0), pos & (src > 0), ~equal & valid
