"""Run every stage of the method in order, then write the report.

    python tools/run_pipeline.py configs/pipelines/toy_pipeline.py \
        [--work-dir D] [--stages classify cam ...] [--launcher pytorch --nproc N]

Each stage runs the steps of its stage module (``python -m
mmwsss.stages.<stage> SETTINGS.json``) with the config sections of the
pipeline config (see docs/architecture.md), from any working directory. A
manifest in the work dir makes a rerun skip finished stages, resume an
interrupted one and rerun a stage whose settings or configs changed (and
everything after it). With ``data.toy`` set, a first stage ``data`` builds
the procedural toy data with ``make_toy_data.py`` (beside this tool).
The work is :func:`mmwsss.pipeline.wsss_pipeline.run_pipeline`'s.
"""
import argparse
import os.path as osp
import sys

from mmengine.config import DictAction

from mmwsss.pipeline import Stage
from mmwsss.pipeline.wsss_pipeline import load_pipeline_config, run_pipeline

TOY_TOOL = osp.join(osp.dirname(osp.abspath(__file__)), 'make_toy_data.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='pipeline config (configs/pipelines)')
    parser.add_argument('--work-dir', help='override the config work_dir')
    parser.add_argument('--stages', nargs='+',
                        help='run only these stages (default: all)')
    parser.add_argument('--launcher', choices=['none', 'pytorch'],
                        default='none',
                        help='pytorch: run training and inference stages '
                        'with torchrun over --nproc processes')
    parser.add_argument('--nproc', type=int, default=1,
                        help='processes per stage with --launcher pytorch '
                        '(GPUs, or CPU processes with gloo)')
    parser.add_argument('--jobs', type=int,
                        help='stages run side by side when their inputs are '
                        'ready, each with cpu_count // jobs threads '
                        '(default: the config\'s `jobs`, else 1)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override pipeline config settings')
    from mmwsss.utils.cli import add_common_args
    add_common_args(parser, checkpoints=True)
    return parser.parse_args(argv)


def toy_data_stage(toy):
    """Stage data: the procedural toy data (``data.toy`` section)."""
    out = osp.abspath(toy.out)
    return Stage('data', [[TOY_TOOL, '--out', out, '--seed', str(toy.seed),
                           '--num-images', str(toy.num_images), '--size',
                           str(toy.size)]],
                 outputs=[out], settings=dict(toy))


def data_stage(cfg):
    """The toy data stage of a config with ``data.toy``, else None."""
    toy = cfg.data.get('toy')
    return toy_data_stage(toy) if toy else None


def main(argv=None):
    args = parse_args(argv)
    cfg = load_pipeline_config(args.config, args.cfg_options, args.work_dir)
    command = ' '.join(['python', 'tools/run_pipeline.py',
                        *(sys.argv[1:] if argv is None else argv)])
    try:
        run_pipeline(cfg, only=args.stages,
                     nproc=args.nproc if args.launcher == 'pytorch' else 1,
                     jobs=args.jobs, data_stage=data_stage,
                     config=args.config, command=command)
    except RuntimeError as e:
        print(f'\nPipeline stopped: {e}', file=sys.stderr)
        print('Fix the problem and run the same command again: finished '
              'stages are skipped, the failed one resumes.', file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    from mmwsss.utils.cli import run_main
    run_main(main)
