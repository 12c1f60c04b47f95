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
"""
import argparse
import os.path as osp
import sys
import time

from mmengine.config import Config, DictAction

from mmwsss.datasets.voc_layout import resolve_class_names
from mmwsss.pipeline import PipelineRunner, ReportWriter, Stage
from mmwsss.pipeline.run_info import pipeline_seed
from mmwsss.pipeline.wsss_stages import build_wsss_stages

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


def main(argv=None):
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir:
        cfg.work_dir = args.work_dir
    nproc = args.nproc if args.launcher == 'pytorch' else 1
    stages, wd, classes = build_wsss_stages(cfg)
    if cfg.data.get('toy'):
        stages.insert(0, toy_data_stage(cfg.data.toy))
    t0 = time.time()
    jobs = args.jobs or cfg.get('jobs', 1)
    runner = PipelineRunner(wd.root, stages, nproc=nproc, jobs=jobs,
                            env=cfg.get('env', None))
    try:
        manifest = runner.run(only=args.stages)
    except RuntimeError as e:
        print(f'\nPipeline stopped: {e}', file=sys.stderr)
        print('Fix the problem and run the same command again: finished '
              'stages are skipped, the failed one resumes.', file=sys.stderr)
        sys.exit(1)
    voc = osp.abspath(cfg.data.voc_root)
    report = ReportWriter.for_work_dir(
        wd, osp.join(voc, 'JPEGImages'), osp.join(voc, 'SegmentationClassAug'),
        resolve_class_names(classes, data_root=voc),
        num_samples=cfg.get('report', {}).get('num_samples', 8),
        info=dict(config=args.config, seed=pipeline_seed(cfg),
                  command=' '.join(['python', 'tools/run_pipeline.py',
                                    *(sys.argv[1:] if argv is None
                                      else argv)]),
                  pred_split=cfg.data.get('eval_split', 'train'))).write(
            manifest)
    print(f'Pipeline finished in {time.time() - t0:.0f} s. Report: '
          f'{osp.abspath(report)}')


if __name__ == '__main__':
    from mmwsss.utils.cli import run_main
    run_main(main)
