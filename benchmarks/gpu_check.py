"""GPU check of the VOC recipes: build each config's model, run a few
training iterations at its real crop size and per-GPU batch on synthetic
data, with and without AMP; print iterations per second and peak GPU
memory per config. No dataset and no pretrained weights are needed (the
models start from their random initialisation).

    python benchmarks/gpu_check.py [--iters 5] [--amp both|on|off]
    tools/gpu_check.sh            # the same, from the repo root

Without CUDA it prints a message and exits 0. ``--cpu-smoke`` runs the
same code path on CPU at a tiny crop (one iteration, batch 2, no AMP), to
check the script itself.
"""
import argparse
import copy
import os.path as osp
import sys
import time

import numpy as np
import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: (name, config, scope, kind)
CHECKS = (
    ('CAM R-50 512', 'configs/cam/cam_r50-s16_1xb16-5e_voc12aug-512x512.py',
     'mmpretrain', 'cls'),
    ('SOD Swin-B 384',
     'configs/sod/rgbsod_swin-b-p4-w12_4xb8-13k_duts-384x384.py', 'mmseg',
     'sod'),
    ('DeepLabV2 R-101 321',
     'configs/seg/deeplabv2_r101-d8_1xb10-20k_voc12aug-pseudo-321x321.py',
     'mmseg', 'seg'),
    ('DeepLabV3+ S-269 512',
     'configs/seg/deeplabv3plus_s269-d8_4xb4-20k_voc12aug-pseudo-512x512.py',
     'mmseg', 'seg'),
)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--iters', type=int, default=5,
                        help='timed iterations per run (after 2 warm-up)')
    parser.add_argument('--amp', choices=['both', 'on', 'off'],
                        default='both')
    parser.add_argument('--only', nargs='+', default=None,
                        help='substrings of the check names to run')
    parser.add_argument('--cpu-smoke', action='store_true',
                        help='run on CPU at a 64 px crop, batch 2, 1 iter')
    return parser.parse_args()


def _no_syncbn(node):
    if isinstance(node, dict):
        if node.get('type') in ('SyncBN', 'MMSyncBN'):
            node['type'] = 'BN'
        for value in node.values():
            _no_syncbn(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _no_syncbn(value)


def crop_and_batch(cfg, kind):
    if kind == 'cls':
        crop = [t for t in cfg.train_pipeline if t.type == 'RandomCrop']
        size = crop[0].crop_size
        size = (size, size) if isinstance(size, int) else tuple(size)
    else:
        size = tuple(cfg.crop_size)
    return size, cfg.train_dataloader.batch_size


def synthetic_batch(kind, batch, size, num_classes, rng):
    """``data`` for ``model.train_step``: uint8 images and labels."""
    inputs = [torch.from_numpy(rng.integers(0, 256, (3, *size),
                                            dtype=np.uint8))
              for _ in range(batch)]
    samples = []
    for _ in range(batch):
        if kind == 'cls':
            from mmpretrain.structures import DataSample
            labels = rng.choice(num_classes, 2, replace=False)
            samples.append(DataSample().set_gt_label(labels.tolist()))
            continue
        from mmengine.structures import PixelData
        from mmseg.structures import SegDataSample
        s = SegDataSample()
        high = 2 if kind == 'sod' else num_classes
        label = torch.from_numpy(rng.integers(0, high, (1, *size)))
        s.gt_sem_seg = PixelData(data=label.long())
        if kind == 'sod':
            edge = (label != torch.roll(label, 1, dims=-1)).long()
            s.gt_edge_map = PixelData(data=edge)
            regions = (torch.arange(size[0])[:, None] // 32 * 64 +
                       torch.arange(size[1])[None] // 32)
            s.gt_region_map = PixelData(data=regions[None].int())
        s.set_metainfo(dict(img_shape=size, ori_shape=size, pad_shape=size))
        samples.append(s)
    return dict(inputs=inputs, data_samples=samples)


def run_check(name, path, scope, kind, amp, args, device):
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope
    if scope == 'mmpretrain':
        from mmpretrain.registry import MODELS
    else:
        from mmseg.registry import MODELS
    cfg = Config.fromfile(osp.join(REPO, path))
    _no_syncbn(cfg._cfg_dict)
    size, batch = crop_and_batch(cfg, kind)
    iters = args.iters
    if args.cpu_smoke:
        size, batch, iters = (64, 64), 2, 1  # 2: BN on pooled features
        if kind != 'cls' and 'data_preprocessor' in cfg.model and \
                cfg.model.data_preprocessor.get('size'):
            cfg.model.data_preprocessor.size = size
    init_default_scope(scope)
    model = MODELS.build(cfg.model)  # random init: no weights downloaded
    model.init_weights = lambda: None
    model.to(device).train()
    optim_cfg = copy.deepcopy(cfg.optim_wrapper)
    if amp:
        optim_cfg.type = 'AmpOptimWrapper'
        optim_cfg.setdefault('loss_scale', 'dynamic')
    wrapper = build_optim_wrapper(model, optim_cfg)
    num_classes = (cfg.model.head.num_classes if kind == 'cls' else
                   cfg.model.decode_head.num_classes)
    rng = np.random.default_rng(0)
    data = synthetic_batch(kind, batch, size, num_classes, rng)
    if device == 'cuda':
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    warmup = 0 if args.cpu_smoke else 2
    for i in range(warmup + iters):
        if i == warmup:
            if device == 'cuda':
                torch.cuda.synchronize()
            start = time.perf_counter()
        losses = model.train_step(data, wrapper)
    if device == 'cuda':
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    loss = sum(v.item() for k, v in losses.items() if 'loss' in k)
    peak = (torch.cuda.max_memory_allocated() / 2**30
            if device == 'cuda' else float('nan'))
    del model, wrapper
    return dict(name=name, amp=amp, crop=f'{size[0]}x{size[1]}', batch=batch,
                its=iters / seconds, peak_gib=peak, loss=loss)


def main():
    args = parse_args()
    if not torch.cuda.is_available() and not args.cpu_smoke:
        print('gpu_check: no CUDA device here (torch '
              f'{torch.__version__}, cuda available: False); nothing to '
              'measure. Run it on a GPU machine, or --cpu-smoke to check '
              'the script on CPU.')
        return 0
    sys.path.insert(0, REPO)
    import mmwsss  # noqa: F401  (registers the project's modules)
    device = 'cpu' if args.cpu_smoke else 'cuda'
    if device == 'cuda':
        print(f'device: {torch.cuda.get_device_name(0)}, torch '
              f'{torch.__version__}')
    amps = {'both': (False, True), 'on': (True, ), 'off': (False, )}
    amps = (False, ) if args.cpu_smoke else amps[args.amp]
    rows, failed = [], 0
    for name, path, scope, kind in CHECKS:
        if args.only and not any(s in name for s in args.only):
            continue
        for amp in amps:
            try:
                rows.append(run_check(name, path, scope, kind, amp, args,
                                      device))
            except Exception as err:  # report and go on with the others
                failed += 1
                rows.append(dict(name=name, amp=amp, error=repr(err)[:200]))
                if device == 'cuda':
                    torch.cuda.empty_cache()
            print(_row(rows[-1]), flush=True)
    print('\n| config | AMP | crop | batch | it/s | peak GiB | loss |')
    print('| --- | --- | --- | --- | --- | --- | --- |')
    for row in rows:
        print(_row(row))
    return 1 if failed else 0


def _row(row):
    if 'error' in row:
        return (f"| {row['name']} | {'on' if row['amp'] else 'off'} | "
                f"failed: {row['error']} |")
    return (f"| {row['name']} | {'on' if row['amp'] else 'off'} | "
            f"{row['crop']} | {row['batch']} | {row['its']:.2f} | "
            f"{row['peak_gib']:.1f} | {row['loss']:.3f} |")


if __name__ == '__main__':
    sys.exit(main())
