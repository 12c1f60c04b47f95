"""Evaluate label maps (pseudo-labels) against the ground truth of a split.

    python tools/eval_pseudo_labels.py --pred-dir work/pseudo_cam \
        --data-root D --split train [--classes toy|voc | --num-classes N] \
        [--pred-ignore background|ignore|wrong] [--out-json F]

One confusion matrix accumulated over the whole split (not a mean over
images); GT 255 is ignored; predicted 255 pixels follow ``--pred-ignore``
(default ``background``, IRN's convention). Prints per-class IoU, Acc,
Acc_class, mIoU and fwIoU, and writes them to ``--out-json`` (fractions).
"""
import argparse
import os.path as osp

import numpy as np

from mmwsss.evaluation.functional import (confusion_matrix,
                                          scores_from_confusion)
from mmwsss.evaluation.functional.seg_report import (add_eval_args,
                                                     check_same_size,
                                                     format_scores_table,
                                                     scores_to_json,
                                                     setup_eval,
                                                     sum_over_images,
                                                     write_json)
from mmwsss.utils.io import load_label_png

_STATE = {}


def _image_confusion(img_id):
    s = _STATE
    gt_path = osp.join(s['gt_dir'], img_id + '.png')
    pred_path = osp.join(s['pred_dir'], img_id + s['pred_suffix'])
    gt = load_label_png(gt_path)
    pred = load_label_png(pred_path)
    check_same_size(gt, pred, gt_path, pred_path)
    try:
        return confusion_matrix(gt, pred, s['num_classes'],
                                pred_ignore=s['pred_ignore'])
    except ValueError as e:
        raise ValueError(f'{pred_path} / {gt_path}: {e}') from e


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Evaluate pseudo-labels (PNG label maps) on a split')
    parser.add_argument('--pred-dir', required=True,
                        help='folder of <id>.png label maps')
    parser.add_argument('--pred-suffix', default='.png')
    add_eval_args(parser)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    split_file, ids, gt_dir, names = setup_eval(args)
    if not osp.isdir(args.pred_dir):
        raise FileNotFoundError(f'prediction folder not found: '
                                f'{args.pred_dir}')
    missing = [i for i in ids if not osp.isfile(
        osp.join(args.pred_dir, i + args.pred_suffix))]
    if missing:
        raise FileNotFoundError(
            f'{len(missing)} of {len(ids)} images of {split_file} have no '
            f'prediction in {args.pred_dir}, e.g. '
            f'{osp.join(args.pred_dir, missing[0] + args.pred_suffix)}')
    _STATE.update(gt_dir=gt_dir, pred_dir=args.pred_dir,
                  pred_suffix=args.pred_suffix, num_classes=len(names),
                  pred_ignore=args.pred_ignore)
    cm = sum_over_images(_image_confusion, ids, args.nproc, desc='eval')
    scores = scores_from_confusion(cm)
    title = (f'{args.pred_dir} on {osp.basename(split_file)} ({len(ids)} '
             f'images), predicted 255 -> {args.pred_ignore}')
    print(format_scores_table(scores, names, title))
    data = dict(pred_dir=args.pred_dir, split=split_file, num_images=len(ids),
                pred_ignore=args.pred_ignore, class_names=names,
                **scores_to_json(scores, names),
                confusion=np.asarray(cm).tolist())
    write_json(args.out_json, data)
    return data


if __name__ == '__main__':
    main()
