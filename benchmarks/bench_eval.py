"""Benchmark: evaluating label maps, against the bare decode of the files.

    python benchmarks/bench_eval.py [--num-images 10582] [--small 1000] \\
        [--repeats 1] [--out-json result.json]

Generates ``--num-images`` VOC-sized (500x375) palette PNG pairs (a
pseudo-label and its ground truth, ``voc_like_data.py``) in a temporary
folder, then runs, each as a whole fresh process (start-up included, one
process, no workers), on the same files:

* **bare**: this file with ``--bare``: Python, numpy and PIL decode the
  prediction and the ground truth of every id of the split list
  (``np.asarray(Image.open(path))``), nothing else;
* **tool**: ``tools/eval_labels.py`` on the same split: the same
  decoding plus the checks, one confusion matrix over the split and the
  scores (``--out-json``).

Prints the wall-time ratio tool / bare and the peak RSS of both (on the
first ``--small`` images and on all of them: it must not grow with the
number of images). The target (issue 10): ratio <= 1.2 and peak RSS <=
200 MB. Nothing is asserted.
"""
import argparse
import json
import os.path as osp
import sys
import tempfile

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def bare(voc, split):
    """The reference: decode the prediction and the ground truth."""
    import numpy as np
    from PIL import Image
    with open(osp.join(voc, 'ImageSets', 'Segmentation', split + '.txt')) as f:
        ids = [line.strip() for line in f if line.strip()]
    pixels = 0
    for img_id in ids:
        pred = np.asarray(Image.open(osp.join(voc, 'pseudo', img_id + '.png')))
        gt = np.asarray(Image.open(osp.join(voc, 'SegmentationClassAug',
                                            img_id + '.png')))
        pixels += pred.size + gt.size
    print(json.dumps(dict(num_images=len(ids), pixels=pixels)))


def tool_cmd(voc, split, out_json):
    from voc_like_data import tool_path
    return [sys.executable,
            tool_path('eval_labels.py'),
            '--pred-dir', osp.join(voc, 'pseudo'), '--data-root', voc,
            '--split', split, '--classes', 'voc', '--out-json', out_json]


def main(argv=None):
    from voc_like_data import add_common_args
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--bare', nargs=2, metavar=('VOC', 'SPLIT'),
                        help=argparse.SUPPRESS)
    add_common_args(parser, 'pairs')
    args = parser.parse_args(argv)
    if args.bare:
        return bare(*args.bare)
    from voc_like_data import measure, prepare, summarize, tool_env
    env = tool_env(REPO)
    with tempfile.TemporaryDirectory(dir=args.tmp_dir) as tmp:
        voc, ids, small = prepare(tmp, args, 'pairs')
        bare_runs, tool_runs = [], []
        for _ in range(args.repeats):
            bare_runs.append(measure([sys.executable, osp.abspath(__file__),
                                      '--bare', voc, 'all'], env))
            tool_runs.append(measure(tool_cmd(voc, 'all', osp.join(
                tmp, 'scores.json')), env))
        tool_small = measure(tool_cmd(voc, 'small', osp.join(
            tmp, 'scores_small.json')), env)
        with open(osp.join(tmp, 'scores.json')) as f:
            scores = json.load(f)
    return summarize(bare_runs, tool_runs, tool_small, len(ids), small,
                     'bare decode (pred + gt)', 'eval tool',
                     out_json=args.out_json, repeats=args.repeats,
                     mIoU=scores['mIoU'])

if __name__ == '__main__':
    main()
