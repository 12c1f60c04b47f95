"""Benchmark: IRN's random walk on a VOC-size image (500 x 375, stride 4).

    python benchmarks/bench_random_walk.py [--device cpu|cuda] \\
        [--classes 3] [--repeats 3] [--dense steps|square|none] \\
        [--out-json result.json]

On a synthetic boundary map of 125 x 94 cells (ellipse outlines, noise) and
K class maps, measures in the same run:

* **sparse**: :func:`mmwsss.expand.propagate` (the project's walk: sparse
  transition matrix, ``2 ** exp_times`` sparse products);
* **dense**: the reference with a dense N x N matrix (N = 11750), IRN's
  ``affinity_sparse2dense`` + ``to_transition_matrix`` re-stated:
  ``square`` raises T to ``2 ** exp_times`` by squaring it ``exp_times``
  times as IRN does (cubic: use a GPU), ``steps`` applies the dense T
  ``2 ** exp_times`` times to the scores (same result, quadratic).

Reports wall time per image (median of ``--repeats``), the ratio dense /
sparse, the largest difference between the two results, and the peak
memory: ``torch.cuda.max_memory_allocated`` on a GPU, the growth of the
process's peak RSS on a CPU (sparse runs first, so its figure is its own).
Nothing is asserted.
"""
import argparse
import json
import os.path as osp
import resource
import sys
import time

import numpy as np
import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from mmwsss.expand import path_affinity, propagate, search_paths  # noqa: E402

W, H, STRIDE = 500, 375, 4


def synthetic(classes, device, seed=0):
    """(edge h x w, scores K x h x w) at stride 4 of a 500 x 375 image."""
    h, w = (H - 1) // STRIDE + 1, (W - 1) // STRIDE + 1
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:h, :w]
    edge = rng.random((h, w)) * 0.1
    scores = np.zeros((classes, h, w))
    for k in range(classes):
        cy, cx = rng.uniform(0.3, 0.7) * h, rng.uniform(0.3, 0.7) * w
        ry, rx = rng.uniform(0.15, 0.3) * h, rng.uniform(0.15, 0.3) * w
        d = np.sqrt(((yy - cy) / ry)**2 + ((xx - cx) / rx)**2)
        edge = np.maximum(edge, np.exp(-((d - 1) * min(ry, rx))**2))
        scores[k] = np.clip(1 - 2 * d, 0, 1)
    return (torch.tensor(edge, dtype=torch.float32, device=device),
            torch.tensor(scores, dtype=torch.float32, device=device))


def dense_reference(scores, edge, radius, beta, exp_times, mode):
    """IRN's dense walk: symmetric A (ones on the diagonal), T = A^beta
    normalised over columns, x @ T^(2^exp_times)."""
    h, w = edge.shape
    n = h * w
    offsets, _ = search_paths(radius)
    aff = path_affinity(edge, radius)
    a = torch.eye(n, device=edge.device)
    ys, xs = torch.meshgrid(torch.arange(h, device=edge.device),
                            torch.arange(w, device=edge.device),
                            indexing='ij')
    for d, (dy, dx) in enumerate(offsets):
        ok = (ys + dy < h) & (xs + dx >= 0) & (xs + dx < w)
        p = (ys * w + xs)[ok]
        q = p + dy * w + dx
        a[p, q] = aff[d][ok]
        a[q, p] = aff[d][ok]
    t = a.pow_(beta)
    t /= t.sum(0, keepdim=True)
    x = (scores * (1 - edge)).reshape(scores.shape[0], n)
    if mode == 'square':
        for _ in range(exp_times):
            t = t @ t
        x = x @ t
    else:
        for _ in range(2**exp_times):
            x = x @ t
    return x.reshape(scores.shape)


def _sync(device):
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def _peak_mib(device):
    if device.startswith('cuda'):
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(fn, device, repeats):
    if device.startswith('cuda'):
        torch.cuda.reset_peak_memory_stats()
    before = _peak_mib(device)
    times, out = [], None
    for _ in range(repeats):
        _sync(device)
        start = time.perf_counter()
        out = fn()
        _sync(device)
        times.append(time.perf_counter() - start)
    peak = _peak_mib(device)
    return out, float(np.median(times)), (
        peak if device.startswith('cuda') else peak - before)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', default=None)
    parser.add_argument('--classes', type=int, default=3)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--radius', type=int, default=5)
    parser.add_argument('--beta', type=float, default=10.0)
    parser.add_argument('--exp-times', type=int, default=8)
    parser.add_argument('--dense', choices=['steps', 'square', 'none'],
                        default=None, help='dense reference (default: '
                        'square on a GPU, steps on a CPU)')
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--out-json', default=None)
    args = parser.parse_args(argv)
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    dense_mode = args.dense or ('square' if device.startswith('cuda')
                                else 'steps')
    if args.threads:
        torch.set_num_threads(args.threads)
    edge, scores = synthetic(args.classes, device)
    kw = dict(radius=args.radius, beta=args.beta, exp_times=args.exp_times)
    propagate(scores, edge, **kw)                         # warm-up
    sparse, t_sparse, m_sparse = measure(
        lambda: propagate(scores, edge, **kw), device, args.repeats)
    res = dict(device=device, torch_threads=torch.get_num_threads(),
               map_size=list(edge.shape), num_pixels=edge.numel(),
               classes=args.classes, steps=2**args.exp_times, **kw,
               sparse_s=t_sparse, sparse_peak_mib=m_sparse)
    if dense_mode != 'none':
        dense, t_dense, m_dense = measure(
            lambda: dense_reference(scores, edge, mode=dense_mode, **kw),
            device, 1)
        scale = float(dense.abs().max())
        res.update(dense_mode=dense_mode, dense_s=t_dense,
                   dense_peak_mib=m_dense, dense_over_sparse=t_dense /
                   t_sparse, max_abs_diff=float((dense - sparse).abs().max()),
                   max_value=scale)
    for k, v in res.items():
        print(f'{k}: {v:.4g}' if isinstance(v, float) else f'{k}: {v}')
    if args.out_json:
        with open(args.out_json, 'w') as f:
            json.dump(res, f, indent=2)
    return res


if __name__ == '__main__':
    main()
