"""Benchmark: one forward + backward of the RGB-SOD Swin-T model at 384 x 384
on CPU, against mmseg's UPerNet on the same Swin-T backbone, same run.

    python benchmarks/bench_sod_forward.py [--size 384] [--batch 2] \\
        [--repeats 3] [--threads 2] [--summary-config CONFIG ...] \\
        [--out-json result.json]

Each model is measured in a fresh process (so peak memories do not mix):
build the model from its config (no pretrained weights), one warm-up
forward/backward, then ``--repeats`` timed forward + loss + backward passes
on a random batch with a random binary mask; the median wall time is kept.
Peak memory is the growth of the process's peak RSS (``VmHWM``, reset
through ``/proc/self/clear_refs`` on Linux) over its RSS once the model is
built, before the first pass: activations, gradients and workspace of a
training step.

The reference is ``mmseg::swin/swin-tiny-patch4-window7-in1k-pre_upernet_
8xb2-160k_ade20k-512x512.py`` (UPerHead + FCN auxiliary head) with 2
classes; batch 2 by default, because UPerNet's pooling module has BN on
1x1 maps, which needs more than one image in training mode. Reported: time
and peak-memory ratios RGB-SOD / UPerNet.
``--summary-config`` also prints, for each config given (e.g. the Swin-B
one), the parameter counts per component and the feature shapes of a
no-grad forward at ``--size`` (nothing is trained or downloaded). Nothing
is asserted.
"""
import argparse
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
SOD_T = osp.join(REPO, 'configs', 'sod',
                 'rgbsod_swin-t-p4-w7_4xb8-13k_duts-384x384.py')
UPERNET_T = ('mmseg::swin/swin-tiny-patch4-window7-in1k-pre_upernet_'
             '8xb2-160k_ade20k-512x512.py')


def _proc_status(key):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(key + ':'):
                return int(line.split()[1]) * 1024
    raise KeyError(key)


def resolve_config(config):
    """``'mmseg::path'`` -> the config file shipped with mmseg."""
    if '::' in config:
        import importlib
        package, path = config.split('::', 1)
        root = osp.dirname(importlib.import_module(package).__file__)
        config = osp.join(root, '.mim', 'configs', path)
    return config


def build_model(config, size):
    import mmwsss.mm_components  # noqa: F401  (registers components, compat fixes)
    from mmengine.config import Config
    from mmengine.model import revert_sync_batchnorm
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    cfg = Config.fromfile(resolve_config(config))
    init_default_scope('mmseg')
    model_cfg = cfg.model
    model_cfg.backbone.init_cfg = None
    model_cfg.pop('pretrained', None)
    model_cfg.data_preprocessor.size = (size, size)
    if model_cfg.type == 'EncoderDecoder':  # the UPerNet reference
        model_cfg.decode_head.num_classes = 2
        model_cfg.auxiliary_head.num_classes = 2
    model = revert_sync_batchnorm(MODELS.build(model_cfg))
    return model


def _batch(batch, size):
    import torch
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    g = torch.Generator().manual_seed(0)
    x = torch.randn(batch, 3, size, size, generator=g)
    samples = []
    for _ in range(batch):
        mask = torch.zeros(1, size, size, dtype=torch.long)
        mask[:, size // 4:3 * size // 4, size // 3:2 * size // 3] = 1
        s = SegDataSample()
        s.gt_sem_seg = PixelData(data=mask)
        s.gt_edge_map = PixelData(data=torch.zeros_like(mask))
        s.set_metainfo(dict(img_shape=(size, size), ori_shape=(size, size),
                            pad_shape=(size, size)))
        samples.append(s)
    return x, samples


def measure(config, size, batch, repeats, threads):
    """Runs in a child process: dict(time_s, peak_mb, params_m)."""
    import torch
    torch.set_num_threads(threads)
    model = build_model(config, size)
    model.train()
    x, samples = _batch(batch, size)

    def step():
        losses = model.loss(x, samples)
        loss = sum(v for k, v in losses.items() if 'loss' in k)
        loss.backward()
        model.zero_grad(set_to_none=True)

    rss0 = _proc_status('VmRSS')
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')  # reset VmHWM to the current RSS
        reset = True
    except OSError:
        reset = False
    step()  # warm-up (counted in the peak: freed memory stays mapped)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    peak = _proc_status('VmHWM')
    return dict(time_s=statistics.median(times), times_s=times,
                peak_mb=(peak - rss0) / 2**20, hwm_reset=reset,
                params_m=sum(p.numel() for p in model.parameters()) / 1e6)


def summary(config, size):
    """Parameter counts per component and feature shapes (no grad)."""
    import torch
    model = build_model(config, size).eval()
    counts = {name: sum(p.numel() for p in getattr(model, name).parameters())
              for name in ('backbone', 'neck', 'decode_head')
              if getattr(model, name, None) is not None}
    counts['total'] = sum(p.numel() for p in model.parameters())
    with torch.no_grad():
        x = torch.randn(1, 3, size, size)
        stages = model.backbone(x)
        neck = model.neck(stages)
        main, sides, edge = model.decode_head.forward_all(neck)
        prob = model.predict_saliency(x)
    shapes = dict(
        input=list(x.shape),
        backbone=[list(s.shape) for s in stages],
        neck=[list(s.shape) for s in neck],
        head_main=list(main.shape),
        head_sides=[list(s.shape) for s in sides],
        edge=list(edge.shape) if edge is not None else None,
        saliency=list(prob.shape))
    return dict(config=osp.relpath(config, REPO), params=counts,
                shapes=shapes)


def _child(args):
    if args.child_summary:
        result = summary(args.child_summary, args.size)
    else:
        result = measure(args.child, args.size, args.batch, args.repeats,
                         args.threads)
    print('RESULT ' + json.dumps(result))


def _run_child(extra, args):
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads),
               PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
    cmd = [sys.executable, osp.abspath(__file__), '--size', str(args.size),
           '--batch', str(args.batch), '--repeats', str(args.repeats),
           '--threads', str(args.threads), *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env,
                          cwd=REPO)
    for line in proc.stdout.splitlines():
        if line.startswith('RESULT '):
            return json.loads(line[len('RESULT '):])
    raise RuntimeError(f'{" ".join(cmd)} failed:\n{proc.stdout[-3000:]}\n'
                       f'{proc.stderr[-3000:]}')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--size', type=int, default=384)
    p.add_argument('--batch', type=int, default=2)
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--sod-config', default=SOD_T)
    p.add_argument('--ref-config', default=UPERNET_T)
    p.add_argument('--summary-config', nargs='*', default=[])
    p.add_argument('--out-json', default=None)
    p.add_argument('--child', default=None, help=argparse.SUPPRESS)
    p.add_argument('--child-summary', default=None, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.child or args.child_summary:
        return _child(args)
    result = dict(size=args.size, batch=args.batch, threads=args.threads,
                  repeats=args.repeats)
    for cfg in args.summary_config:
        s = _run_child(['--child-summary', cfg], args)
        result.setdefault('summaries', []).append(s)
        print(f'{s["config"]}:')
        print('  parameters: ' + ', '.join(
            f'{k} {v / 1e6:.2f} M' for k, v in s['params'].items()))
        for k, v in s['shapes'].items():
            print(f'  {k}: {v}')
    sod = _run_child(['--child', args.sod_config], args)
    ref = _run_child(['--child', args.ref_config], args)
    result.update(rgbsod=sod, upernet=ref,
                  time_ratio=sod['time_s'] / ref['time_s'],
                  peak_mem_ratio=(sod['peak_mb'] / ref['peak_mb']
                                  if ref['peak_mb'] > 0 else None))
    print(f'forward+backward, batch {args.batch} at {args.size}x{args.size}, '
          f'{args.threads} threads, median of {args.repeats}:')
    for name, r in (('RGB-SOD Swin-T', sod), ('UPerNet Swin-T', ref)):
        print(f'  {name:15s} {r["time_s"]:7.2f} s  peak +{r["peak_mb"]:7.1f}'
              f' MB  params {r["params_m"]:.1f} M')
    print(f'  ratio RGB-SOD / UPerNet: time {result["time_ratio"]:.2f}, '
          f'peak memory {result["peak_mem_ratio"]:.2f}')
    if args.out_json:
        with open(args.out_json, 'w') as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == '__main__':
    main()
