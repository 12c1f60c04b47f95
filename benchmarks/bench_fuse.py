"""Benchmark: offline fusion (stage 5, ``select``), against the bare I/O.

    python benchmarks/bench_fuse.py [--num-images 10582] [--small 1000] \\
        [--workers 0] [--repeats 1] [--out-json result.json]

Generates ``--num-images`` VOC-sized (500x375) inputs (a palette
pseudo-label with a 255 band, a grey saliency map, image-level labels with
~70 % single-class images, class salience; ``voc_like_data.py``) in a
temporary folder, then runs, each as a whole fresh process (start-up
included), on the same files:

* **bare**: this file with ``--bare``: Python, numpy and PIL read the
  pseudo-label and the saliency map of every id of the split list and
  write the label as a palette PNG, nothing else;
* **tool**: ``tools/run_select.py`` (``--nproc`` = ``--workers``):
  the same I/O plus the image-level labels, the selector, the atomic
  writes, the audit-log journal and the final CSV.

Prints the wall-time ratio tool / bare and the peak RSS of both (the tool
on the first ``--small`` images and on all of them: it must not grow with
the number of images). The target (issue 21): ratio <= 1.3 and peak RSS <=
200 MB with one process. Nothing is asserted.
"""
import argparse
import json
import os
import os.path as osp
import sys
import tempfile

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def bare(voc, split, out):
    """The reference: read label + saliency, write the label."""
    import numpy as np
    from PIL import Image
    from voc_like_data import save_palette_png
    with open(osp.join(voc, 'ImageSets', 'Segmentation', split + '.txt')) as f:
        ids = [line.strip() for line in f if line.strip()]
    os.makedirs(out, exist_ok=True)
    for img_id in ids:
        label = np.asarray(Image.open(osp.join(voc, 'pseudo',
                                               img_id + '.png')))
        np.asarray(Image.open(osp.join(voc, 'saliency', img_id + '.png')))
        save_palette_png(osp.join(out, img_id + '.png'), label)
    print(json.dumps(dict(num_images=len(ids))))


def tool_cmd(voc, split, out, workers):
    from voc_like_data import tool_path
    return [sys.executable,
            tool_path('run_select.py'),
            '--data-root', voc, '--split', split,
            '--pseudo-dir', osp.join(voc, 'pseudo'),
            '--sal-dir', osp.join(voc, 'saliency'),
            '--norms', osp.join(voc, 'norms.json'), '--out', out,
            '--nproc', str(workers)]


def main(argv=None):
    from voc_like_data import add_common_args
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--bare', nargs=3, metavar=('VOC', 'SPLIT', 'OUT'),
                        help=argparse.SUPPRESS)
    add_common_args(parser, 'inputs')
    parser.add_argument('--workers', type=int, default=0,
                        help='--nproc of the tool (default 0: the work in '
                        'the tool\'s own process)')
    args = parser.parse_args(argv)
    if args.bare:
        return bare(*args.bare)
    from voc_like_data import measure, prepare, summarize, tool_env
    env = tool_env(REPO)
    with tempfile.TemporaryDirectory(dir=args.tmp_dir) as tmp:
        voc, ids, small = prepare(tmp, args, 'inputs')
        bare_runs, tool_runs = [], []
        for r in range(args.repeats):
            bare_runs.append(measure(
                [sys.executable, osp.abspath(__file__), '--bare', voc, 'all',
                 osp.join(tmp, f'bare{r}')], env))
            tool_runs.append(measure(tool_cmd(
                voc, 'all', osp.join(tmp, f'tool{r}'), args.workers), env))
        tool_small = measure(tool_cmd(voc, 'small', osp.join(
            tmp, 'tool_small'), args.workers), env)
        n_out = len([p for p in os.listdir(osp.join(tmp, 'tool0'))
                     if p.endswith('.png')])
        if n_out != len(ids):
            raise RuntimeError(f'the tool wrote {n_out} of {len(ids)} labels')
    return summarize(bare_runs, tool_runs, tool_small, len(ids), small,
                     'bare read + write', 'fuse tool', out_json=args.out_json,
                     note=f'workers={args.workers}; ', target=1.3,
                     workers=args.workers,
                     repeats=args.repeats)

if __name__ == '__main__':
    main()
