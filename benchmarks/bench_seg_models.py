"""Benchmark: stage-6 models on CPU, each against an upstream reference
measured in the same run.

    python benchmarks/bench_seg_models.py [--threads 2] [--steps 5] \\
        [--out-json result.json]

* **ResNeSt-269** (``MMPretrainResNeSt``, d8) against mmseg's largest
  ResNeSt (200, d8, same options): build time, parameters, forward time of
  one 1x3x128x128 image. Ratios 269 / 200.
* **The toy demo segmenter** (``configs/seg/*_toy-pseudo-*.py``, a
  half-width ResNet-18 at output stride 16) against mmseg's standard
  DeepLabV3+ ResNet-18-d8 head/backbone widths on the same 8x3x64x64 batch:
  time of one training step (forward, backward, AdamW step). Ratio
  demo / reference, and the demo config's estimated CPU time for its
  ``max_iters`` steps (model only, without data loading).

Nothing is asserted; numbers are printed (and saved with ``--out-json``).
"""
import argparse
import glob
import json
import os.path as osp
import time

import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--steps', type=int, default=5,
                   help='timed training steps (after 2 warm-up steps)')
    p.add_argument('--out-json', default=None)
    return p.parse_args()


def timed(fn, repeats=1):
    best = float('inf')
    out = None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def bench_resnest(results):
    from mmseg.models.backbones import ResNeSt as SegResNeSt
    from mmseg.registry import MODELS
    d8 = dict(strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4),
              contract_dilation=True, stem_channels=128)
    t269, m269 = timed(lambda: MODELS.build(
        dict(type='MMPretrainResNeSt', depth=269, **d8)))
    t200, m200 = timed(lambda: SegResNeSt(depth=200, **d8))
    x = torch.randn(1, 3, 128, 128)
    for m in (m269, m200):
        m.eval()
    with torch.no_grad():
        f269, _ = timed(lambda: m269(x), repeats=2)
        f200, _ = timed(lambda: m200(x), repeats=2)
    p269 = sum(p.numel() for p in m269.parameters())
    p200 = sum(p.numel() for p in m200.parameters())
    results['resnest'] = dict(
        build_s_269=t269, build_s_200=t200, build_ratio=t269 / t200,
        params_269=p269, params_200=p200,
        forward_s_269=f269, forward_s_200=f200, forward_ratio=f269 / f200)
    print(f'ResNeSt-269 build {t269:.2f}s vs mmseg ResNeSt-200 {t200:.2f}s '
          f'(x{t269 / t200:.2f}); params {p269 / 1e6:.2f}M vs '
          f'{p200 / 1e6:.2f}M; forward 1x3x128x128 {f269:.2f}s vs '
          f'{f200:.2f}s (x{f269 / f200:.2f})')


def _step_time(model, steps, crop=64, batch=8):
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x = torch.randn(batch, 3, crop, crop)
    samples = []
    for _ in range(batch):
        s = SegDataSample()
        s.gt_sem_seg = PixelData(data=torch.randint(0, 7, (1, crop, crop)))
        s.set_metainfo(dict(img_shape=(crop, crop), pad_shape=(crop, crop),
                            ori_shape=(crop, crop)))
        samples.append(s)

    def step():
        losses = model.loss(x, samples)
        loss = sum(v for k, v in losses.items() if 'loss' in k)
        opt.zero_grad()
        loss.backward()
        opt.step()

    for _ in range(2):
        step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def bench_toy(results, steps):
    from mmengine.config import Config
    from mmengine.hub import get_config
    from mmseg.registry import MODELS
    path = glob.glob(osp.join(REPO, 'configs/seg/*_toy-pseudo-*.py'))[0]
    cfg = Config.fromfile(path)
    demo = MODELS.build(cfg.model)
    demo.init_weights()
    # reference: mmseg's DeepLabV3+ R-18-d8 widths (deeplabv3plus_r18-d8
    # configs), same number of classes
    ref_cfg = get_config(
        'mmseg::deeplabv3plus/deeplabv3plus_r18-d8_4xb2-80k_cityscapes-'
        '512x1024.py').model
    ref_cfg.pretrained = None
    ref_cfg.backbone.norm_cfg = dict(type='BN', requires_grad=True)
    for head in (ref_cfg.decode_head, ref_cfg.auxiliary_head):
        head.norm_cfg = dict(type='BN', requires_grad=True)
        head.num_classes = 7
    ref_cfg.data_preprocessor.size = (64, 64)
    ref = MODELS.build(ref_cfg)
    ref.init_weights()
    t_demo = _step_time(demo, steps)
    t_ref = _step_time(ref, steps)
    iters = cfg.train_cfg.max_iters
    results['toy'] = dict(config=osp.relpath(path, REPO), step_s_demo=t_demo,
                          step_s_ref=t_ref, ratio=t_demo / t_ref,
                          max_iters=iters, est_model_s=t_demo * iters)
    print(f'{osp.basename(path)}: train step (8x3x64x64) {t_demo:.3f}s vs '
          f'mmseg DeepLabV3+ R-18-d8 {t_ref:.3f}s (x{t_demo / t_ref:.2f}); '
          f'{iters} iterations ~ {t_demo * iters:.0f}s of model time')


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    import mmwsss.mm_components  # noqa: F401  (registers components, compat fixes)
    from mmengine.registry import init_default_scope
    init_default_scope('mmseg')
    results = dict(threads=args.threads)
    bench_resnest(results)
    bench_toy(results, args.steps)
    if args.out_json:
        with open(args.out_json, 'w') as f:
            json.dump(results, f, indent=2)


if __name__ == '__main__':
    main()
