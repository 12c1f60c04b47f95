"""Stage select: fuse a split's pseudo-labels with saliency maps (offline).

    python tools/run_select.py --data-root D --split train_aug \\
        --pseudo-dir work/pseudo_cam --sal-dir work/saliency \\
        --norms work/class_salience.json --out work/pseudo_fused \\
        [--stage-config PIPELINE_CFG] [--log CSV] [--mode hard|soft] \\
        [--cam-dir work/cams] [--nproc N] [--launcher none|pytorch]

Reads ``<pseudo-dir>/<id>.png`` (ours, or any baseline's), ``<sal-dir>/
<id>.png`` and the image-level labels, applies the Salient Object Selector
(the same function as the online ``SelectorFusion`` transform) and writes
``<out>/<id>.png`` atomically (resume: existing outputs are skipped) and the
audit log (default ``<out>/selector_log.csv``). The selector settings are the
``select`` section of ``--stage-config``, overridden by the flags; see
:mod:`mmwsss.stages.select`.
"""
import argparse
import sys

from mmwsss.selector import read_rows, summarize
from mmwsss.stages.select import run_select
from mmwsss.stages.select_cli import add_cli_args, settings_from_args
from mmwsss.utils.sharding import init_tool_dist


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Fuse pseudo-labels with saliency maps (stage select)')
    add_cli_args(parser)
    parser.add_argument('--norms', required=True,
                        help='class salience JSON (tools/class_salience.py)')
    parser.add_argument('--out', required=True,
                        help='output folder for the fused <id>.png')
    parser.add_argument('--log', default=None,
                        help='per-image CSV (default <out>/selector_log.csv)')
    parser.add_argument('--overwrite', action='store_true',
                        help='refuse nothing: recompute a folder fused with '
                        'other settings or inputs (default: refuse)')
    parser.add_argument('--launcher', default='none',
                        choices=['none', 'pytorch', 'slurm', 'mpi'])
    from mmwsss.utils.cli import add_common_args
    add_common_args(parser)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    settings = settings_from_args(args, norms=args.norms, out=args.out,
                                  log=args.log,
                                  overwrite=args.overwrite or None)
    init_tool_dist(args.launcher)
    res = run_select(settings, log=lambda m: print(m, file=sys.stderr))
    if res['log'] is None:
        return res
    summary = summarize(read_rows(res['log']))
    print(f'log: {res["log"]}' + (f' ({res["recomputed"]} decisions '
                                   'recomputed)' if res['recomputed'] else ''))
    print('decisions: ' + ', '.join(f'{k} {v}' for k, v in
                                    sorted(summary['decision'].items())))
    if summary['replaced_by_class']:
        print('changed by class: ' + ', '.join(
            f'{k} {v}' for k, v in sorted(
                summary['replaced_by_class'].items())))
    return res


if __name__ == '__main__':
    from mmwsss.utils.cli import run_main
    run_main(main)
