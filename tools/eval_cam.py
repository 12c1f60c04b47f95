"""Evaluate CAMs on a split with a background-threshold sweep.

    python tools/eval_cam.py --cam-dir work/cams --data-root D \
        [--split train] [--thresholds 0.05 0.10 ...] \
        [--classes toy|voc | --num-classes N] [--pred-ignore ...] \
        [--out-json F]

For every threshold t of the sweep (default 0.05..0.60, step 0.05) each
image's CAMs become a label map (background where no CAM of a present class
exceeds t, else the class of the largest CAM; :func:`mmwsss.cam.cam_to_label`)
and one confusion matrix is accumulated over the whole split. Reports Acc,
Acc_class, mIoU, fwIoU and per-class IoU at the best threshold (highest
mIoU) and the mIoU of every threshold; ``--out-json`` holds the best scores
at the top level (with ``best_threshold``) and the sweep under ``sweep``.
"""
import argparse
import os.path as osp

import numpy as np

from mmwsss.cam import DEFAULT_BG_THRESHOLDS, cam_to_label
from mmwsss.evaluation.functional import (confusion_matrix,
                                          scores_from_confusion)
from mmwsss.evaluation.functional.seg_report import (add_eval_args,
                                                     format_scores_table,
                                                     scores_to_json,
                                                     setup_eval,
                                                     sum_over_images,
                                                     write_json)
from mmwsss.utils.io import load_cam_npz, load_label_png

_STATE = {}


def _image_confusions(img_id):
    """T x C x (C + 1) confusion matrices of one image, one per threshold."""
    s = _STATE
    gt_path = osp.join(s['gt_dir'], img_id + '.png')
    cam_path = osp.join(s['cam_dir'], img_id + '.npz')
    gt = load_label_png(gt_path)
    keys, cams = load_cam_npz(cam_path)
    if cams.shape[1:] != gt.shape:
        raise ValueError(f'{cam_path}: CAMs of size {cams.shape[1:]} but the '
                         f'ground truth {gt_path} is {gt.shape}')
    if keys.size and (keys.min() < 0 or keys.max() >= s['num_classes'] - 1):
        raise ValueError(f'{cam_path}: class index {keys.max()} outside '
                         f'0..{s["num_classes"] - 2} (foreground classes)')
    return np.stack([
        confusion_matrix(gt, cam_to_label(keys, cams, t), s['num_classes'],
                         pred_ignore=s['pred_ignore'])
        for t in s['thresholds']])


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Evaluate CAMs with a background-threshold sweep')
    parser.add_argument('--cam-dir', required=True,
                        help='folder of <id>.npz CAM files (make_cam.py)')
    parser.add_argument('--thresholds', type=float, nargs='+',
                        default=list(DEFAULT_BG_THRESHOLDS),
                        help='background thresholds to sweep '
                        '(default 0.05..0.60 step 0.05)')
    add_eval_args(parser, default_split='train')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    split_file, ids, gt_dir, names = setup_eval(args)
    if not osp.isdir(args.cam_dir):
        raise FileNotFoundError(f'CAM folder not found: {args.cam_dir}')
    missing = [i for i in ids
               if not osp.isfile(osp.join(args.cam_dir, i + '.npz'))]
    if missing:
        raise FileNotFoundError(
            f'{len(missing)} of {len(ids)} images of {split_file} have no '
            f'CAM file in {args.cam_dir}, e.g. '
            f'{osp.join(args.cam_dir, missing[0] + ".npz")}')
    thresholds = [float(t) for t in args.thresholds]
    _STATE.update(gt_dir=gt_dir, cam_dir=args.cam_dir, num_classes=len(names),
                  pred_ignore=args.pred_ignore, thresholds=thresholds)
    cms = sum_over_images(_image_confusions, ids, args.nproc, desc='eval CAM')
    sweep = [dict(threshold=t, **scores_to_json(scores_from_confusion(cm),
                                                names))
             for t, cm in zip(thresholds, cms)]
    miou = np.array([s['mIoU'] if s['mIoU'] is not None else -1.0
                     for s in sweep])
    best = int(np.argmax(miou))
    best_scores = scores_from_confusion(cms[best])
    print('| bg threshold | mIoU (%) |\n| --- | --- |')
    for s in sweep:
        mark = ' (best)' if s is sweep[best] else ''
        print(f'| {s["threshold"]:.2f} | {100 * s["mIoU"]:.2f}{mark} |')
    print()
    print(format_scores_table(
        best_scores, names,
        f'CAMs {args.cam_dir} on {osp.basename(split_file)} ({len(ids)} '
        f'images), best threshold {thresholds[best]:.2f}, predicted 255 -> '
        f'{args.pred_ignore}'))
    data = dict(cam_dir=args.cam_dir, split=split_file, num_images=len(ids),
                pred_ignore=args.pred_ignore, class_names=names,
                best_threshold=thresholds[best],
                **scores_to_json(best_scores, names),
                sweep=[{k: s[k] for k in ('threshold', 'mIoU', 'Acc',
                                          'Acc_class', 'fwIoU')}
                       for s in sweep])
    write_json(args.out_json, data)
    return data


if __name__ == '__main__':
    main()
