"""Evaluate saliency maps against ground-truth masks (SOD metrics).

    python tools/eval_saliency.py --pred-dir work/sal_maps \\
        --gt-dir data/DUTS/DUTS-TE/DUTS-TE-Mask [--list names.txt] \\
        [--out-json F] [--nproc N]

Reads ``<pred-dir>/<name>.png`` (uint8 grey, e.g. from
``tools/run_saliency.py``) and ``<gt-dir>/<name>.png`` for every mask (or
every name of ``--list``), and prints MAE, max / mean / adaptive F-measure
(beta^2 = 0.3), S-measure and max / mean / adaptive E-measure, as
``pysodmetrics`` computes them. See
:func:`mmwsss.evaluation.functional.sod_eval.evaluate_saliency`.
"""
import argparse

from mmwsss.evaluation.functional.sod_eval import evaluate_saliency


def main(argv=None):
    p = argparse.ArgumentParser(
        description='Evaluate saliency maps against masks (MAE, F, S, E)')
    p.add_argument('--pred-dir', required=True,
                   help='folder of <name>.png saliency maps (grey)')
    p.add_argument('--gt-dir', required=True,
                   help='folder of <name>.png masks (salient > 128)')
    p.add_argument('--list', help='names to evaluate, one a line (default: '
                   'every mask in --gt-dir)')
    p.add_argument('--pred-suffix', default='.png')
    p.add_argument('--gt-suffix', default='.png')
    p.add_argument('--beta2', type=float, default=0.3,
                   help='beta^2 of the F-measure')
    p.add_argument('--alpha', type=float, default=0.5,
                   help='object/region balance of the S-measure')
    p.add_argument('--nproc', type=int, default=1)
    p.add_argument('--out-json', help='also write the metrics here')
    from mmwsss.utils.cli import add_common_args
    add_common_args(p)
    args = p.parse_args(argv)
    return evaluate_saliency(
        args.pred_dir, args.gt_dir, args.list, args.pred_suffix,
        args.gt_suffix, args.beta2, args.alpha, args.nproc, args.out_json)


if __name__ == '__main__':
    from mmwsss.utils.cli import run_main
    run_main(main)
