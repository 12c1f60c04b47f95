"""Evaluate label maps (pseudo-labels) against the ground truth of a split.

    python tools/eval_labels.py --pred-dir work/pseudo_cam \
        --data-root D --split train \
        [--classes voc|toy|classes.txt|a,b,c | --num-classes N] \
        [--pred-ignore background|ignore|wrong] [--out-json F]

One confusion matrix accumulated over the whole split (not a mean over
images); GT 255 is ignored; predicted 255 pixels follow ``--pred-ignore``
(default ``background``, IRN's convention). Prints per-class IoU, Acc,
Acc_class, mIoU and fwIoU, and writes them to ``--out-json`` (fractions).
See :func:`mmwsss.evaluation.functional.label_eval.evaluate_labels`.
"""
import argparse

from mmwsss.evaluation.functional.label_eval import (add_eval_args,
                                                     evaluate_labels)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description='Evaluate pseudo-labels (PNG label maps) on a split')
    parser.add_argument('--pred-dir', required=True,
                        help='folder of <id>.png label maps')
    parser.add_argument('--pred-suffix', default='.png')
    add_eval_args(parser)
    from mmwsss.utils.cli import add_common_args
    add_common_args(parser)
    args = parser.parse_args(argv)
    return evaluate_labels(
        args.pred_dir, args.data_root, args.split, args.gt_dir, args.classes,
        args.num_classes, args.pred_ignore, args.out_json, args.nproc,
        args.pred_suffix)


if __name__ == '__main__':
    from mmwsss.utils.cli import run_main
    run_main(main)
