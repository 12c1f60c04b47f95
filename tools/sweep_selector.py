"""The paper's selector ablations on a split with ground truth.

    python tools/sweep_selector.py --data-root D --split train \\
        --pseudo-dir work/pseudo_cam --sal-dir work/saliency \\
        --norms work/class_salience.json [--cam-dir work/cams] \\
        [--baseline-dir SEAM=path/to/seam_labels ...] \\
        --out-md selector_sweep.md --out-json selector_sweep.json

* Table 3 analogue: the selection threshold alpha in 0, 0.05, 0.1, 0.2,
  ..., 1.0 (``--alphas``): a single-class region is replaced by the
  saliency mask when IoU(P_CAM, P_S) >= alpha, so alpha = 1 is the
  ``--pseudo-dir`` labels unchanged and alpha = 0 replaces every region
  with non-empty saliency. The paper's Table 3 sits beside it. Plus the
  alpha* rule (soft mode) and Algorithm 1 (hard mode).
* The blend-weight sweep (``--weights``; not the paper's Table 3): soft
  mode with one fixed weight w for every image (with ``--cam-dir`` the
  CAMs are blended; else the class region as a 0/1 map).
* The gate tau of alpha* (``--taus``).
* Table 4: before / after the selector (``--mode``, default hard) for
  ``--pseudo-dir`` and every ``--baseline-dir`` (``NAME=DIR`` or ``DIR``).

Each row: Acc, Acc_class, mIoU, fwIoU from one confusion matrix over the
split (GT 255 ignored; predicted 255 counted per ``--pred-ignore``,
background by default). Nothing is written but the two tables (Markdown and
JSON); see :mod:`mmwsss.selector.sweep`.
"""
import argparse
import os.path as osp

from mmwsss.evaluation.functional import PRED_IGNORE_POLICIES
from mmwsss.selector import TABLE3_ALPHAS
from mmwsss.selector.sweep import BLEND_WEIGHTS
from mmwsss.selector.sweep_tables import format_markdown
from mmwsss.stages.select import write_sweep
from mmwsss.stages.select_cli import add_cli_args, settings_from_args


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Selector ablations: the selection threshold alpha '
        '(Table 3), the blend weight and tau sweeps, and before/after for '
        'baselines (Table 4)')
    add_cli_args(parser)
    parser.add_argument('--norms', required=True,
                        help='class salience JSON (tools/class_salience.py)')
    parser.add_argument('--baseline-dir', nargs='+', default=[],
                        metavar='[NAME=]DIR',
                        help='other methods\' pseudo-labels (<id>.png)')
    parser.add_argument('--pseudo-name', default=None,
                        help='name of --pseudo-dir in Table 4 (default: its '
                        'folder name)')
    parser.add_argument('--alphas', type=float, nargs='+',
                        default=list(TABLE3_ALPHAS),
                        help='selection thresholds (Table 3)')
    parser.add_argument('--weights', type=float, nargs='+',
                        default=list(BLEND_WEIGHTS),
                        help='fixed blend weights of soft mode')
    parser.add_argument('--taus', type=float, nargs='+',
                        help='gates of alpha* (default: a grid around the '
                        'default gate of --alpha-star)')
    parser.add_argument('--pred-ignore', choices=PRED_IGNORE_POLICIES,
                        default='background',
                        help='how predicted 255 pixels count')
    parser.add_argument('--out-md', required=True)
    parser.add_argument('--out-json', required=True)
    from mmwsss.utils.cli import add_common_args
    add_common_args(parser)
    return parser.parse_args(argv)


def parse_baselines(specs):
    out = []
    for spec in specs:
        name, sep, path = spec.partition('=')
        if not sep:
            name, path = osp.basename(osp.normpath(spec)), spec
        if not osp.isdir(path):
            raise SystemExit(f'baseline folder not found: {path}')
        out.append((name, path))
    return out


def main(argv=None):
    args = parse_args(argv)
    result = write_sweep(settings_from_args(args, norms=args.norms),
                         args.out_md, args.out_json,
                         parse_baselines(args.baseline_dir),
                         args.pseudo_name, args.alphas, args.pred_ignore,
                         weights=args.weights, taus=args.taus)
    print(format_markdown(result))
    print(f'written: {args.out_md}, {args.out_json}')
    return result


if __name__ == '__main__':
    from mmwsss.utils.cli import run_main
    run_main(main)
