"""Confusion matrix of pseudo-labels or predictions against the GT (PNG + CSV).

    python tools/analysis_tools/confusion_matrix.py --pred-dir P --data-root D \
        [--split train] [--classes voc|toy|CLASSES.txt|a,b,...] [--pred-ignore background|ignore|wrong] \
        --out OUT_PREFIX

P holds <id>.png label maps (the expand or select stage's pseudo-labels, or
a segmenter's predictions); every id of the split must have one. Writes
OUT_PREFIX.csv (pixel counts, rows = GT, columns = prediction, with the
dataset's class names) and OUT_PREFIX.png (each GT row in percent), and
prints the per-class IoU table. See docs/analysis_tools.md.
"""
import argparse
import os
import os.path as osp
import sys

from mmwsss.analysis.confusion import write_csv, write_png
from mmwsss.evaluation.functional.label_eval import (add_eval_args,
                                                     evaluate_labels)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--pred-dir', required=True,
                   help='folder of <id>.png label maps')
    p.add_argument('--out', required=True,
                   help='output prefix: writes OUT.csv and OUT.png')
    add_eval_args(p)
    from mmwsss.utils.cli import add_common_args
    add_common_args(p)
    args = p.parse_args(argv)
    try:
        data = evaluate_labels(
            args.pred_dir, args.data_root, args.split, args.gt_dir,
            args.classes, args.num_classes, args.pred_ignore,
            args.out_json, args.nproc)
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        names = data['class_names']
        write_csv(args.out + '.csv', data['confusion'], names)
        write_png(args.out + '.png', data['confusion'], names,
                  title=f'{osp.basename(osp.normpath(args.pred_dir))} vs GT'
                  f', {data["num_images"]} images of {osp.basename(data["split"])}: mIoU '
                  f'{100 * data["mIoU"]:.1f} %')
    except (OSError, ValueError) as e:
        print(f'confusion_matrix: {e}', file=sys.stderr)
        sys.exit(1)
    print(f'written: {args.out}.csv, {args.out}.png')


if __name__ == '__main__':
    from mmwsss.utils.cli import run_main
    run_main(main)
