"""Benchmark: offline fusion of VOC-sized label/saliency pairs.

    python benchmarks/bench_fuse.py [--num-images 2000] [--small 500] \\
        [--workers 0] [--repeats 1] [--out-json result.json]

Generates ``--num-images`` synthetic pairs of 500x375 (a palette pseudo-label
with 255 band, a grey saliency map, image-level labels with ~70 %
single-class images) in a temporary folder, then measures, each in a fresh
process and excluding the import time:

* **bare**: the unavoidable I/O of the job with the same libraries: read the
  pseudo-label and the saliency map (``mmwsss.utils.io``, PIL), look up the
  image-level label, write the label PNG (``save_label_png``);
* **tool**: the select stage (``mmwsss.stages.select.run_select``, what
  ``tools/run_select.py`` calls) on the same
  inputs: the same I/O plus the selector, the atomic writes, the audit-log
  journal and the final CSV.

Reports the wall-time ratio tool / bare (same run, same worker count) and
the peak RSS (``ru_maxrss`` of the process and of its workers) of the tool
on the first ``--small`` images and on all images: it must not grow with the
number of images. Nothing is asserted; numbers are printed (and saved with
``--out-json``).
"""
import argparse
import json
import os
import os.path as osp
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
W, H = 500, 375


def make_pair(rng, num_classes=20):
    """A synthetic (label, saliency, img_label) of 375 x 500."""
    yy, xx = np.ogrid[:H, :W]
    label = np.zeros((H, W), np.uint8)
    sal = np.zeros((H, W), np.float32)
    n_obj = 1 if rng.random() < 0.7 else 2
    classes = rng.choice(num_classes, size=n_obj, replace=False) + 1
    for c in classes:
        cy, cx = rng.uniform(0.25, 0.75) * H, rng.uniform(0.25, 0.75) * W
        ry, rx = rng.uniform(0.1, 0.3) * H, rng.uniform(0.1, 0.3) * W
        d = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2
        band = (d <= 1.15) & (d > 0.85)
        label[band & (label == 0)] = 255
        label[d <= 0.85] = c
        # saliency: the object shifted a little, soft edge
        d2 = ((yy - cy - 0.1 * ry) / (1.1 * ry)) ** 2 + \
            ((xx - cx) / (1.05 * rx)) ** 2
        sal = np.maximum(sal, np.clip(1.5 - d2, 0, 1))
    img_label = np.zeros(num_classes, np.float32)
    img_label[classes - 1] = 1
    return label, (sal * 255).astype(np.uint8), img_label


def _generate_one(args):
    from mmwsss.utils.io import save_grey_png, save_label_png
    voc, img_id, seed, i = args
    label, sal, img_label = make_pair(np.random.default_rng([seed, i]))
    save_label_png(osp.join(voc, 'pseudo', f'{img_id}.png'), label)
    save_grey_png(osp.join(voc, 'saliency', f'{img_id}.png'), sal)
    return img_id, img_label


def generate(root, num_images, seed=0, workers=2):
    from multiprocessing import get_context
    voc = osp.join(root, 'VOC2012')
    for d in ('ImageSets/Segmentation', 'pseudo', 'saliency'):
        os.makedirs(osp.join(voc, d), exist_ok=True)
    ids = [f'b{i:06d}' for i in range(num_images)]
    jobs = [(voc, img_id, seed, i) for i, img_id in enumerate(ids)]
    if workers > 0:
        with get_context('fork').Pool(workers) as pool:
            cls = dict(pool.imap(_generate_one, jobs, chunksize=16))
    else:
        cls = dict(map(_generate_one, jobs))
    np.save(osp.join(voc, 'cls_labels.npy'), cls)
    write_split(voc, 'all', ids)
    # class salience: most classes salient, the last few not
    norms = [1.0 - 0.03 * k for k in range(20)]
    with open(osp.join(voc, 'norms.json'), 'w') as f:
        json.dump(dict(num_classes=20, norms=norms), f)
    return voc, ids


def write_split(voc, name, ids):
    with open(osp.join(voc, 'ImageSets', 'Segmentation', f'{name}.txt'),
              'w') as f:
        f.write('\n'.join(ids) + '\n')


# ------------------------------------------------------------------ child
def _bare_one(args):
    from mmwsss.utils.io import load_grey_png, load_label_png, save_label_png
    voc, out, img_id, cls = args
    label = load_label_png(osp.join(voc, 'pseudo', f'{img_id}.png'))
    load_grey_png(osp.join(voc, 'saliency', f'{img_id}.png'))
    cls[img_id]
    save_label_png(osp.join(out, f'{img_id}.png'), label)


_CLS = {}


def _bare_worker(img_id):
    _bare_one((_CLS['voc'], _CLS['out'], img_id, _CLS['cls']))


def child(mode, voc, split, out, workers):
    import mmwsss.stages.select  # noqa: F401  (import cost excluded from the timing)
    from mmwsss.utils.io import read_image_list
    from mmwsss.datasets.voc_layout import load_cls_labels
    start = time.perf_counter()
    if mode == 'bare':
        ids = read_image_list(osp.join(voc, 'ImageSets', 'Segmentation',
                                       f'{split}.txt'))
        cls = load_cls_labels(osp.join(voc, 'cls_labels.npy'))
        os.makedirs(out, exist_ok=True)
        _CLS.update(voc=voc, out=out, cls=cls)
        if workers > 0:
            from multiprocessing import get_context
            with get_context('fork').Pool(workers) as pool:
                for _ in pool.imap(_bare_worker, ids, chunksize=4):
                    pass
        else:
            for img_id in ids:
                _bare_worker(img_id)
    else:
        from mmwsss.stages.select import SelectSettings, run_select
        run_select(SelectSettings(
            data_root=voc, split=split, pseudo_dir=osp.join(voc, 'pseudo'),
            sal_dir=osp.join(voc, 'saliency'),
            norms=osp.join(voc, 'norms.json'), out=out, nproc=workers),
            log=lambda *_: None)
    wall = time.perf_counter() - start
    rss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
              resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    print(json.dumps(dict(wall=wall, peak_rss_mb=rss / 1024)))


def run_child(mode, voc, split, out, workers):
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep +
               os.environ.get('PYTHONPATH', ''))
    env.setdefault('OMP_NUM_THREADS', '1')
    proc = subprocess.run(
        [sys.executable, osp.abspath(__file__), '--child', mode, voc, split,
         out, str(workers)], capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-4000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == '--child':
        mode, voc, split, out, workers = argv[1:6]
        return child(mode, voc, split, out, int(workers))
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--num-images', type=int, default=2000)
    parser.add_argument('--small', type=int, default=500)
    parser.add_argument('--workers', type=int, default=0,
                        help='worker processes for both runs (0 = one '
                        'process)')
    parser.add_argument('--repeats', type=int, default=1,
                        help='alternate bare/tool runs this many times and '
                        'keep the fastest of each')
    parser.add_argument('--gen-workers', type=int, default=2,
                        help='processes that generate the inputs')
    parser.add_argument('--tmp-dir', default=None)
    parser.add_argument('--out-json', default=None)
    args = parser.parse_args(argv)
    sys.path.insert(0, REPO)
    with tempfile.TemporaryDirectory(dir=args.tmp_dir) as tmp:
        t = time.perf_counter()
        voc, ids = generate(tmp, args.num_images,
                            workers=args.gen_workers)
        write_split(voc, 'small', ids[:args.small])
        print(f'generated {len(ids)} pairs of {W}x{H} in '
              f'{time.perf_counter() - t:.1f} s')
        bare, tool = [], []
        for r in range(args.repeats):
            bare.append(run_child('bare', voc, 'all',
                                  osp.join(tmp, f'bare{r}'), args.workers))
            tool.append(run_child('tool', voc, 'all',
                                  osp.join(tmp, f'tool{r}'), args.workers))
        small = run_child('tool', voc, 'small', osp.join(tmp, 'tool_small'),
                          args.workers)
        n_out = len([p for p in os.listdir(osp.join(tmp, 'tool0'))
                     if p.endswith('.png')])
        assert n_out == len(ids), (n_out, len(ids))
    b = min(x['wall'] for x in bare)
    t = min(x['wall'] for x in tool)
    result = dict(
        num_images=len(ids), size=[W, H], workers=args.workers,
        repeats=args.repeats, bare_wall_s=b, tool_wall_s=t, ratio=t / b,
        bare_ms_per_image=1000 * b / len(ids),
        tool_ms_per_image=1000 * t / len(ids),
        peak_rss_mb={str(args.small): small['peak_rss_mb'],
                     str(len(ids)): tool[0]['peak_rss_mb']},
        bare_peak_rss_mb=bare[0]['peak_rss_mb'])
    print(f"bare read+write: {b:.1f} s ({result['bare_ms_per_image']:.1f} "
          f"ms/image)\nfuse tool:       {t:.1f} s "
          f"({result['tool_ms_per_image']:.1f} ms/image)\n"
          f"ratio tool/bare: {t / b:.2f}  (workers={args.workers})\n"
          f"peak RSS of the tool: {small['peak_rss_mb']:.0f} MB for "
          f"{args.small} images, {tool[0]['peak_rss_mb']:.0f} MB for "
          f"{len(ids)} images (bare: {bare[0]['peak_rss_mb']:.0f} MB)")
    if args.out_json:
        with open(args.out_json, 'w') as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == '__main__':
    main()
