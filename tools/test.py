"""Test (evaluate) a checkpoint from an mm config of either scope.

Same interface as the upstream ``tools/test.py`` of mmseg/mmpretrain.
"""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

import mmwsss.mm_components  # noqa: F401  (registers components, compat fixes)
from mmwsss.config_scope import register_config_scope
from mmwsss.utils import adapt_config, close_dist


def parse_args():
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
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def build_config(args):
    register_config_scope()  # resolve mmwsss::<config> in _base_
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    if args.show_dir:
        hooks = cfg.default_hooks
        vis = hooks.get('visualization')
        if vis is None:
            raise ValueError('--show-dir needs a "visualization" hook in '
                             'default_hooks')
        vis['draw'] = True
        vis['interval'] = 1
        cfg.visualizer['save_dir'] = args.show_dir
    if args.tta:
        if 'tta_model' not in cfg or 'tta_pipeline' not in cfg:
            raise ValueError('--tta needs `tta_model` and `tta_pipeline` in '
                             'the config')
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
        cfg.tta_model.module = cfg.model
        cfg.model = cfg.tta_model
    if args.out is not None:
        cfg.test_evaluator['output_dir'] = args.out
        cfg.test_evaluator['keep_results'] = True
    return adapt_config(cfg, distributed=args.launcher != 'none')


def write_metrics(path, metrics):
    """The metrics dict as JSON (numbers as floats), atomically."""
    import json

    from mmwsss.utils.io import atomic_write

    def clean(v):  # numpy / torch scalars and arrays -> JSON
        if hasattr(v, 'tolist'):
            return v.tolist()
        return float(v) if hasattr(v, '__float__') else v

    values = {k: clean(v) for k, v in (metrics or {}).items()}
    with atomic_write(path) as tmp:
        with open(tmp, 'w') as f:
            json.dump(values, f, indent=2, sort_keys=True)


def main():
    args = parse_args()
    cfg = build_config(args)
    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)
    metrics = runner.test()
    if args.out_metrics and runner.rank == 0:
        write_metrics(args.out_metrics, metrics)
    close_dist()  # a clean end for every rank (gloo aborts otherwise)


if __name__ == '__main__':
    main()
