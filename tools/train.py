"""Train a model from an mm config of either scope (mmpretrain or mmseg).

Same interface as the upstream ``tools/train.py`` of mmseg/mmpretrain; the
config's ``default_scope`` decides which registries are used. A thin command
line over :mod:`mmwsss.apis.train` (which the training stages call too).
"""
import argparse
import os

from mmengine.config import DictAction

from mmwsss.apis.train import build_train_config, train


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or with no value from the '
        'latest checkpoint in the work dir')
    parser.add_argument(
        '--amp', action='store_true', default=False,
        help='enable automatic mixed precision training')
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
    # torch.distributed.launch passes --local-rank / --local_rank
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    from mmwsss.utils.cli import add_common_args
    add_common_args(parser, checkpoints=True)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main(argv=None):
    args = parse_args(argv)
    train(build_train_config(
        args.config, work_dir=args.work_dir, resume=args.resume,
        amp=args.amp, cfg_options=args.cfg_options, launcher=args.launcher))


if __name__ == '__main__':
    from mmwsss.utils.cli import run_main
    run_main(main)
