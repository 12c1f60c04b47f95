"""Run the pipeline once per seed and report the spread of every number.

    python tools/run_study.py configs/pipelines/toy_pipeline.py \
        --seeds 0 1 2 [--work-dir work_dirs/study] [--cfg-options ...] \
        [--readme README.md docs/study.md]
    python tools/run_study.py --render-only --work-dir DIR --readme README.md

Seed s runs the pipeline as tools/run_pipeline.py does (its toy data stage
included), in this process, in <work-dir>/seed_<s> with the toy data
seed (data.toy.seed) and the training seed (randomness.seed) of every
trained stage set to s. Running the same command again resumes: finished
seeds are skipped by the pipeline runner. Then <work-dir>/study.md,
study.json and study.png hold mean ± std of every stage metric and the
paired differences with / without the selector (see docs/study.md), and
--readme writes the README's numbers between its <!-- study:begin --> and
<!-- study:end --> markers. --render-only trains and aggregates nothing: it
writes that block from an existing <work-dir>/study.json.
"""
import argparse
import shlex
import sys

from mmengine.config import DictAction

from mmwsss.pipeline.study import run_study
from mmwsss.pipeline.study_readme import render_readme
from run_pipeline import data_stage  # beside this tool: the toy data stage


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', nargs='?',
                        help='pipeline config (configs/pipelines); not '
                        'needed with --render-only')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2],
                        help='one pipeline run per seed (default: 0 1 2)')
    parser.add_argument('--work-dir', default='work_dirs/study',
                        help='seed_<s>/ folders and the study files')
    parser.add_argument('--aggregate-only', action='store_true',
                        help='run nothing: aggregate the seeds\' reports')
    parser.add_argument('--readme', nargs='+',
                        help='write the study\'s numbers into these files, '
                        'between its <!-- study:begin --> and '
                        '<!-- study:end --> lines')
    parser.add_argument('--render-only', action='store_true',
                        help='run and aggregate nothing: write --readme '
                        'from <work-dir>/study.json')
    parser.add_argument('--launcher', choices=['none', 'pytorch'],
                        default='none', help='as in run_pipeline.py')
    parser.add_argument('--nproc', type=int, default=1,
                        help='as in run_pipeline.py')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='pipeline config overrides, for every seed')
    from mmwsss.utils.cli import add_common_args
    add_common_args(parser, checkpoints=True)
    args = parser.parse_args(argv)
    if args.render_only and not args.readme:
        parser.error('--render-only needs --readme')
    if not args.render_only and not args.config:
        parser.error('the pipeline config is required (unless '
                     '--render-only)')
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.render_only:
        try:
            for readme in args.readme:
                render_readme(args.work_dir, readme)
        except ValueError as e:
            print(f'\nRender stopped: {e}', file=sys.stderr)
            sys.exit(1)
        print(f'README numbers written into {" ".join(args.readme)} from '
              f'{args.work_dir}/study.json')
        return
    command = ' '.join(shlex.quote(a) for a in
                       ['python', 'tools/run_study.py',
                        *(sys.argv[1:] if argv is None else argv)])
    try:
        result = run_study(args.config, args.seeds, args.work_dir,
                           cfg_options=args.cfg_options,
                           launcher=args.launcher, nproc=args.nproc,
                           aggregate_only=args.aggregate_only,
                           command=command, data_stage=data_stage)
        for readme in args.readme or ():
            render_readme(args.work_dir, readme, result)
    except (RuntimeError, FileNotFoundError, ValueError) as e:
        print(f'\nStudy stopped: {e}', file=sys.stderr)
        sys.exit(1)
    for c in result['claims'].values():
        std = '' if c['std'] is None else f' ± {c["std"]:.2f}'
        print(f'{c["description"]}: {c["mean"]:+.2f}{std} '
              f'(holds in every seed: '
              f'{"yes" if c["positive_in_every_seed"] else "no"})')
    print(f'Study written: {args.work_dir}/study.md, study.json, study.png'
          + (f'; README numbers: {" ".join(args.readme)}' if args.readme
             else ''))


if __name__ == '__main__':
    from mmwsss.utils.cli import run_main
    run_main(main)
