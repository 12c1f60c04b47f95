"""Train and test a model from an mm config of either scope (mmpretrain or
mmseg) through mmengine's ``Runner``, as the upstream ``tools/train.py`` and
``tools/test.py`` do; the config's ``default_scope`` decides which
registries are used.

``tools/train.py``, ``tools/test.py`` and the training stages
(:mod:`mmwsss.stages.classify`, :mod:`mmwsss.stages.saliency`,
:mod:`mmwsss.stages.segment`, method irn of :mod:`mmwsss.stages.expand`)
call these functions. Importing this module loads no OpenMMLab code; the
functions import :mod:`mmwsss.mm_components` (registration, compatibility
fixes) when called.
"""
import logging
import os.path as osp


def load_config(config, work_dir=None, cfg_options=None, launcher='none'):
    """The mm config with ``cfg_options`` merged (a dict of dotted keys, as
    ``--cfg-options`` gives) and its ``work_dir`` (default
    ``./work_dirs/<config name>``)."""
    from mmengine.config import Config

    import mmwsss.mm_components  # noqa: F401  (registration, compat fixes)
    from mmwsss.config_scope import register_config_scope
    register_config_scope()  # resolve mmwsss::<config> in _base_
    cfg = Config.fromfile(config)
    cfg.launcher = launcher
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config))[0])
    return cfg


def build_train_config(config, work_dir=None, resume=None, amp=False,
                       cfg_options=None, launcher='none'):
    """The config of a training run. ``resume``: ``'auto'`` (the latest
    checkpoint in the work dir), a checkpoint path, or None."""
    from mmengine.logging import print_log

    from mmwsss.utils.compat import adapt_config
    cfg = load_config(config, work_dir, cfg_options, launcher)
    if amp:
        import torch
        if not torch.cuda.is_available():
            raise ValueError('--amp (mixed precision) needs a CUDA GPU and '
                             'none is available: drop --amp to train on '
                             'the CPU')
        optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if optim_wrapper == 'AmpOptimWrapper':
            print_log('AMP training is already enabled in your config.',
                      logger='current', level=logging.WARNING)
        else:
            if optim_wrapper != 'OptimWrapper':
                raise ValueError(
                    f'{config}: --amp works with the optimizer wrapper '
                    f'`OptimWrapper` only, the config has {optim_wrapper}')
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'
    if resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
        # the run's own checkpoints: fully unpickled (mmwsss.utils.compat)
        from mmwsss.utils.compat import trust_checkpoints
        trust_checkpoints(cfg.work_dir)
    elif resume is not None:
        if not osp.isfile(resume):
            raise FileNotFoundError(f'checkpoint not found: {resume} (given '
                                    'to --resume)')
        cfg.resume = True
        cfg.load_from = resume
    return adapt_config(cfg, distributed=launcher != 'none')


def build_test_config(config, checkpoint, work_dir=None, out=None,
                      show_dir=None, tta=False, cfg_options=None,
                      launcher='none'):
    """The config of a test run of ``checkpoint``; ``out`` (mmseg scope):
    a folder for the predicted masks."""
    from mmwsss.utils.compat import adapt_config
    if not osp.isfile(checkpoint):
        # checked here: the pretrained-weights lookup would call it a
        # missing download
        raise FileNotFoundError(f'checkpoint not found: {checkpoint} (the '
                                'checkpoint to test)')
    cfg = load_config(config, work_dir, cfg_options, launcher)
    cfg.load_from = checkpoint
    # a config dumped by a resumed training run says resume=True: a test
    # loads the weights only (there is no training loop to resume)
    cfg.resume = False
    # a test needs only the test loader: without the training parts mmseg's
    # visualization hook (--show-dir) cannot build the train loader
    for key in ('train_dataloader', 'train_cfg', 'optim_wrapper',
                'param_scheduler'):
        cfg[key] = None
    if show_dir:
        vis = cfg.default_hooks.get('visualization')
        if vis is None:
            raise ValueError('--show-dir needs a "visualization" hook in '
                             'default_hooks')
        vis['draw'] = True
        vis['interval'] = 1
        cfg.visualizer['save_dir'] = show_dir
    if tta:
        if 'tta_model' not in cfg or 'tta_pipeline' not in cfg:
            raise ValueError('--tta needs `tta_model` and `tta_pipeline` in '
                             'the config')
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
        cfg.tta_model.module = cfg.model
        cfg.model = cfg.tta_model
    if out is not None:
        cfg.test_evaluator['output_dir'] = out
        cfg.test_evaluator['keep_results'] = True
    return adapt_config(cfg, distributed=launcher != 'none')


def build_runner(cfg):
    """mmengine's ``Runner`` of a config (or the config's ``runner_type``)."""
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    if 'runner_type' not in cfg:
        return Runner.from_cfg(cfg)
    return RUNNERS.build(cfg)


def train(cfg):
    """Train with the runner of ``cfg`` (from :func:`build_train_config`)."""
    from mmwsss.utils.sharding import close_dist
    build_runner(cfg).train()
    close_dist()  # a clean end for every rank (gloo aborts otherwise)


def test(cfg, out_metrics=None):
    """Test with the runner of ``cfg`` (from :func:`build_test_config`);
    ``out_metrics``: also write the metrics dict to this JSON file (rank 0).
    Returns the metrics."""
    from mmwsss.utils.sharding import close_dist
    runner = build_runner(cfg)
    metrics = runner.test()
    if out_metrics and runner.rank == 0:
        write_metrics(out_metrics, metrics)
    close_dist()  # a clean end for every rank (gloo aborts otherwise)
    return metrics


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
