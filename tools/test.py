"""Test (evaluate) a checkpoint from an mm config of either scope.

Same interface as the upstream ``tools/test.py`` of mmseg/mmpretrain. A thin
command line over :mod:`mmwsss.apis.train` (which the training stages call
too).
"""
import argparse
import os

from mmengine.config import DictAction

from mmwsss.apis.train import build_test_config, test


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and eval) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir',
        help='the directory to save the file containing evaluation metrics')
    parser.add_argument(
        '--out', type=str,
        help='(mmseg scope) the directory to save output prediction masks')
    parser.add_argument(
        '--out-metrics',
        help='also write the metrics dict to this JSON file (rank 0), a '
        'fixed path other tools read (the pipeline does)')
    parser.add_argument(
        '--show-dir', help='directory where painted images will be saved')
    parser.add_argument(
        '--tta', action='store_true', help='test time augmentation')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, key=value pairs')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    from mmwsss.utils.cli import add_common_args
    add_common_args(parser, checkpoints=True)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main(argv=None):
    args = parse_args(argv)
    return test(build_test_config(
        args.config, args.checkpoint, work_dir=args.work_dir, out=args.out,
        show_dir=args.show_dir, tta=args.tta, cfg_options=args.cfg_options,
        launcher=args.launcher), out_metrics=args.out_metrics)


if __name__ == '__main__':
    from mmwsss.utils.cli import run_main
    run_main(main)
