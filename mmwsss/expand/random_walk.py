"""Random-walk propagation of score maps over path affinities (IRN,
``misc/indexing.py``: ``affinity_sparse2dense``, ``to_transition_matrix``,
``propagate_to_edge``).

The graph joins every pixel of the (stride-4) map to the pixels within
``radius`` (IRN: 5) and to itself. The weight of a pair is its path
affinity (:func:`mmwsss.expand.path_affinity.path_affinity`) to the power
``beta`` (IRN: 10), 1 on the diagonal. One step of the walk replaces each
pixel's scores by the weighted mean over its neighbours::

    x'(q) = sum_p w(p, q) x(p) / sum_p w(p, q)

(IRN's ``x @ T`` with ``T = A^beta`` normalised over each column). IRN raises
``T`` to the power ``2 ** exp_times`` by squaring the dense N x N matrix
``exp_times`` (8) times; here the same ``2 ** exp_times`` steps are applied
to the scores with a sparse matrix (about 80 non-zeros per row at radius 5),
so memory grows with N, not N^2. Before the walk the scores are multiplied by
``1 - B`` (IRN: seeds on a boundary do not spread).

Pure torch, CPU or GPU.
"""
import warnings

import torch

from .path_affinity import path_affinity, search_paths

#: IRN's values (run_sample.py / make_sem_seg_labels.py)
DEFAULT_RADIUS = 5
DEFAULT_BETA = 10.0
DEFAULT_EXP_TIMES = 8


def _pair_indices(height, width, radius, device):
    """Flat (src, dst, d) of every in-map pair (p, p + offset_d)."""
    offsets, _ = search_paths(radius)
    ys = torch.arange(height, device=device).view(-1, 1)
    xs = torch.arange(width, device=device).view(1, -1)
    src, dst, which = [], [], []
    for d, (dy, dx) in enumerate(offsets):
        ok = (ys + dy < height) & (xs + dx >= 0) & (xs + dx < width)
        ok = ok.expand(height, width)
        p = (ys * width + xs).expand(height, width)[ok]
        src.append(p)
        dst.append(p + dy * width + dx)
        which.append(d * height * width + p)
    return torch.cat(src), torch.cat(dst), torch.cat(which)


def transition_matrix(edge, radius=DEFAULT_RADIUS, beta=DEFAULT_BETA):
    """Sparse one-step transition ``P`` (N x N, N = H x W, CSR) of a
    boundary map ``edge`` (H x W in [0, 1]): ``x' = P @ x`` for scores ``x``
    (N x K), rows of ``P`` summing to one."""
    if edge.dim() != 2:
        raise ValueError(f'edge must be H x W, got {tuple(edge.shape)}')
    height, width = edge.shape
    n = height * width
    aff = path_affinity(edge.float(), radius)                 # D x H x W
    src, dst, which = _pair_indices(height, width, radius, edge.device)
    weight = aff.reshape(-1)[which].pow(beta)
    diag = torch.arange(n, device=edge.device)
    rows = torch.cat([dst, src, diag])   # x'(q) gathers from p: row q, col p
    cols = torch.cat([src, dst, diag])
    vals = torch.cat([weight, weight, torch.ones(n, device=edge.device)])
    norm = torch.zeros(n, device=edge.device).index_add_(0, rows, vals)
    vals = vals / norm[rows]
    mat = torch.sparse_coo_tensor(torch.stack([rows, cols]), vals, (n, n),
                                  check_invariants=False)
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', 'Sparse CSR tensor support')
        return mat.coalesce().to_sparse_csr()


def random_walk(scores, trans, num_steps):
    """Apply ``num_steps`` steps of ``trans`` (N x N) to ``scores``
    (K x H x W): K x H x W."""
    k, height, width = scores.shape
    x = scores.reshape(k, height * width).t().contiguous()    # N x K
    for _ in range(num_steps):
        x = trans @ x
    return x.t().reshape(k, height, width)


def walk_steps(exp_times, num_cells=None, ref_cells=None):
    """Steps of the walk: IRN's ``2 ** exp_times``, or, with ``ref_cells``,
    that many for a map of ``ref_cells`` cells and in proportion to the
    map's cell count ``num_cells`` otherwise (a walk spreads over a distance
    that grows with the square root of its steps, so the same fraction of a
    map of side L needs steps in proportion to L^2). At least one step."""
    steps = 2**int(exp_times)
    if ref_cells is None:
        return steps
    return max(1, int(round(steps * num_cells / float(ref_cells))))


def propagate(scores, edge, radius=DEFAULT_RADIUS, beta=DEFAULT_BETA,
              exp_times=DEFAULT_EXP_TIMES, ref_cells=None):
    """IRN's ``propagate_to_edge``: scores (K x H x W) times ``1 - edge``,
    walked over the boundary map ``edge`` (H x W) for
    :func:`walk_steps` steps (IRN: ``2 ** exp_times``)."""
    if scores.shape[-2:] != edge.shape[-2:]:
        raise ValueError(f'scores {tuple(scores.shape)} and edge '
                         f'{tuple(edge.shape)} differ in size')
    trans = transition_matrix(edge, radius, beta)
    x = scores.float() * (1 - edge.float())
    return random_walk(x, trans,
                       walk_steps(exp_times, edge.numel(), ref_cells))
