"""Stage 5: the class salience ``n_c`` of every class, written as JSON.

    python tools/class_salience.py --data-root D --split train_aug \\
        --pseudo-dir work/pseudo_cam --sal-dir work/saliency \\
        --out work/class_salience.json [--cls-labels F | --labels-from-gt]

For every single-class image of class c (image-level label), the root mean
square of the saliency (in [0, 1]) inside the class-c region of its
pseudo-label; ``n_c`` is the mean over the images of class c divided by the
largest such mean over all classes (paper: ``||S^c||_2 / max ||S||_2``).
Classes without a single-class image get ``null`` (the selector treats them
as not salient). Prints a table: class, n_c, salient (``n_c >=
--salient-thr``), image count.
"""
import argparse
import os
import os.path as osp
import sys

import numpy as np

from mmwsss.selector import (DEFAULT_SALIENT_THR, class_salience_norms,
                             image_salience_sample, save_norms)
from mmwsss.utils.selector_inputs import SelectorInputs
from mmwsss.utils.sharding import ShardedJob

_STATE = {}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Class salience norms n_c for the selector (stage 5)')
    parser.add_argument('--data-root', required=True)
    parser.add_argument('--split', required=True,
                        help='split name or list file')
    parser.add_argument('--pseudo-dir', required=True,
                        help='pseudo-labels <id>.png (the class regions)')
    parser.add_argument('--sal-dir', required=True,
                        help='saliency maps <id>.png (uint8)')
    parser.add_argument('--sal-suffix', default='.png')
    parser.add_argument('--out', required=True, help='norms JSON to write')
    parser.add_argument('--cls-labels', default=None,
                        help='image-level labels (default <data-root>/'
                        'cls_labels.npy)')
    parser.add_argument('--labels-from-gt', action='store_true',
                        help='derive image-level labels from the GT masks')
    parser.add_argument('--gt-dir', default=None)
    parser.add_argument('--num-classes', type=int, default=None,
                        help='foreground classes (needed with '
                        '--labels-from-gt when there is no cls_labels.npy)')
    parser.add_argument('--salient-thr', type=float,
                        default=DEFAULT_SALIENT_THR,
                        help='only for the printed table')
    parser.add_argument('--nproc', '--workers', dest='nproc', type=int,
                        default=min(8, os.cpu_count() or 1))
    return parser.parse_args(argv)


def _sample(img_id):
    inputs = _STATE['inputs']
    try:
        label = inputs.pseudo_label(img_id)
        sal = inputs.saliency(img_id, label.shape)
        return image_salience_sample(label, sal, inputs.img_label(img_id))
    except (ValueError, KeyError) as e:
        raise RuntimeError(f'image {img_id!r}: {e}') from e


def format_table(data, salient_thr):
    lines = ['| class | n_c | salient | images | mean RMS |',
             '| --- | --- | --- | --- | --- |']
    names = data.get('class_names') or [
        str(i + 1) for i in range(data['num_classes'])]
    for name, n, rms, cnt in zip(names, data['norms'], data['mean_rms'],
                                 data['image_count']):
        lines.append(
            f'| {name} | {"-" if n is None else f"{n:.3f}"} | '
            f'{"yes" if n is not None and n >= salient_thr else "no"} | '
            f'{cnt} | {"-" if rms is None else f"{rms:.3f}"} |')
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    num_classes = args.num_classes
    if args.labels_from_gt and num_classes is None:
        default_cls = args.cls_labels or osp.join(args.data_root,
                                                  'cls_labels.npy')
        if not osp.isfile(default_cls):
            raise SystemExit('--labels-from-gt needs --num-classes (no '
                             f'{default_cls} to read it from)')
        from mmwsss.utils.labels import load_cls_labels
        num_classes = next(iter(load_cls_labels(default_cls).values())).size
    inputs = SelectorInputs(args.data_root, args.split, args.pseudo_dir,
                            args.sal_dir, gt_dir=args.gt_dir,
                            cls_labels=args.cls_labels,
                            labels_from_gt=args.labels_from_gt,
                            num_classes=num_classes,
                            sal_suffix=args.sal_suffix)
    _STATE['inputs'] = inputs
    # no per-image outputs: every id is work (one JSON over the whole split)
    job = ShardedJob(inputs.ids, lambda i: [], rank=0, world_size=1)
    job.todo = list(job.ids)
    samples = [s for s in job.run(_sample, num_workers=args.nproc,
                                  desc='class salience', chunksize=8)
               if s is not None]
    classes = np.array([s[0] for s in samples], dtype=np.int64)
    rms = np.array([s[1] for s in samples], dtype=np.float64)
    stats = class_salience_norms(classes, rms, inputs.num_classes)
    data = save_norms(args.out, stats, class_names=inputs.class_names,
                      split=args.split, num_images=len(inputs.ids),
                      num_single_class=len(samples),
                      pseudo_dir=osp.abspath(args.pseudo_dir),
                      sal_dir=osp.abspath(args.sal_dir))
    print(format_table(data, args.salient_thr))
    print(f'{len(samples)} single-class images of {len(inputs.ids)}; '
          f'norms written to {args.out}')
    if not samples:
        print('warning: no single-class image with a non-empty class region:'
              ' every class is left without a norm (not salient)',
              file=sys.stderr)


if __name__ == '__main__':
    main()
