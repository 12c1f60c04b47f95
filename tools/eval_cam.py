"""Evaluate CAMs on a split with a background-threshold sweep.

    python tools/eval_cam.py --cam-dir work/cams --data-root D \
        [--split train] [--thresholds 0.05 0.10 ...] \
        [--classes voc|toy|classes.txt|a,b,c | --num-classes N] [--pred-ignore ...] \
        [--out-json F] [--no-extend]

For every threshold t of the sweep (default 0.05..0.60, step 0.05) each
image's CAMs become a label map (background where no CAM of a present class
exceeds t, else the class of the largest CAM; :func:`mmwsss.cam.cam_to_label`)
and one confusion matrix is accumulated over the whole split. Reports Acc,
Acc_class, mIoU, fwIoU and per-class IoU at the best threshold (highest
mIoU) and the mIoU of every threshold; ``--out-json`` holds the best scores
at the top level (with ``best_threshold``, read by stage expand) and the
sweep under ``sweep``. When the best threshold sits on the edge of the
grid, the grid is extended beyond that edge (three more steps, or a finer
grid towards 0) until the best lies inside; ``grid_extended`` lists the
thresholds added (``--no-extend``: keep the grid). See
:func:`mmwsss.evaluation.functional.label_eval.evaluate_cams`.
"""
import argparse

from mmwsss.cam.cam_to_label import DEFAULT_BG_THRESHOLDS
from mmwsss.evaluation.functional.label_eval import (add_eval_args,
                                                     evaluate_cams)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description='Evaluate CAMs with a background-threshold sweep')
    parser.add_argument('--cam-dir', required=True,
                        help='folder of <id>.npz CAM files (run_cam.py)')
    parser.add_argument('--thresholds', type=float, nargs='+',
                        default=list(DEFAULT_BG_THRESHOLDS),
                        help='background thresholds to sweep '
                        '(default 0.05..0.60 step 0.05)')
    parser.add_argument('--no-extend', action='store_true',
                        help='keep the grid as given (default: a best '
                        'threshold on its edge extends it beyond that edge)')
    add_eval_args(parser)
    from mmwsss.utils.cli import add_common_args
    add_common_args(parser)
    args = parser.parse_args(argv)
    return evaluate_cams(
        args.cam_dir, args.data_root, args.split, args.thresholds,
        args.gt_dir, args.classes, args.num_classes, args.pred_ignore,
        args.out_json, args.nproc, extend=not args.no_extend)


if __name__ == '__main__':
    from mmwsss.utils.cli import run_main
    run_main(main)
