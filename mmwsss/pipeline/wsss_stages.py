"""The stages of the method, as commands of the per-stage tools.

``build_wsss_stages(cfg)`` turns a pipeline config (``configs/pipelines``)
into :class:`Stage` objects for :class:`PipelineRunner`. No stage computes
anything itself: each one calls the tools a user would call by hand, passing
the stage's config section (``cam``, ``expand``, ``select``) as a file
(``<work_dir>/stage_configs/<stage>.py``, read with ``--stage-config``) and
reading its results from the files each tool writes by contract:
``cam_eval.json`` (``best_threshold``, read by stage expand), the
``<stage>_eval.json`` of the label evaluations and the ``metrics.json``
that ``tools/test.py --out-metrics`` writes. With ``expand.method='irn'``
the expand stage also trains a network (``tools/train.py`` on the relation
labels it writes first, into ``<work_dir>/expand_model``) between its two
``tools/run_expand.py`` steps.
"""
import json
import os.path as osp

from .pipeline_runner import LazyArg, Stage

#: the stages in pipeline order (the segment stage runs twice: on the
#: expand stage's labels and on the select stage's fused labels)
STAGE_NAMES = ('data', 'classify', 'cam', 'expand', 'saliency', 'select',
               'segment_expand', 'segment_select')


def _flat_options(options, prefix=''):
    """``{'randomness': {'seed': 1}}`` -> ``{'randomness.seed': 1}``: a
    nested section (e.g. from ``--cfg-options
    classify.cfg_options.randomness.seed=1`` on the pipeline) as the dotted
    keys mmengine's DictAction reads."""
    flat = {}
    for k, v in options.items():
        if isinstance(v, dict):
            flat.update(_flat_options(v, f'{prefix}{k}.'))
        else:
            flat[f'{prefix}{k}'] = v
    return flat


def _cfg_options(options):
    """dict -> ``--cfg-options k=v ...`` (values as mmengine's DictAction
    reads them; nested dicts as dotted keys)."""
    if not options:
        return []
    out = ['--cfg-options']
    for k, v in _flat_options(options).items():
        if isinstance(v, (list, tuple)):
            v = '[' + ','.join(repr(x) if isinstance(x, str) else str(x)
                               for x in v) + ']'
        out.append(f'{k}={v}')
    return out


def _with_data_root(options, root):
    """Stage cfg-options plus the data root of all three dataloaders."""
    opts = {f'{split}_dataloader.dataset.data_root': root
            for split in ('train', 'val', 'test')}
    opts.update(options or {})
    return opts


def last_checkpoint(work_dir):
    """Path written by mmengine's CheckpointHook in ``last_checkpoint``."""
    marker = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        raise FileNotFoundError(f'{marker}: training left no checkpoint')
    with open(marker) as f:
        return f.read().strip()


def _read_json(path):
    with open(path) as f:
        return json.load(f)


def _stage_config(work_dir, name, section):
    """``--stage-config`` argument: the section dumped to
    ``<work_dir>/stage_configs/<name>.py`` when the command runs."""
    def write():
        from mmengine.config import Config

        from mmwsss.utils.io import atomic_write
        path = osp.join(work_dir, 'stage_configs', f'{name}.py')
        with atomic_write(path) as tmp:
            Config({name: dict(section or {})}).dump(tmp)
        return path

    return LazyArg(write, f'stage_config:{name}')


def _Checkpoint(work_dir):
    """The last checkpoint of a training work dir, resolved at run time."""
    return LazyArg(lambda: last_checkpoint(work_dir),
                   f'last_checkpoint:{work_dir}')


def _irn_expand_commands(e, e_args, voc, p):
    """Method 'irn' of the expand stage: relation labels, the relation
    network (``tools/train.py``), random walk -> ``pseudo_cam``."""
    opts = {'train_dataloader.dataset.data_root': voc,
            'train_dataloader.dataset.data_prefix.seg_map_path':
            osp.abspath(p['relation_dir'])}
    opts.update(e.get('cfg_options') or {})
    train = ['tools/train.py', e['config'], '--work-dir', p['expand_model'],
             '--resume', *_cfg_options(opts)]
    if e.get('backbone_from_classify'):
        # the frozen backbone of the relation network is stage 1's
        cls_dir = p['cls_dir']
        train.append(LazyArg(
            lambda: 'model.backbone.init_cfg.checkpoint=' +
            last_checkpoint(cls_dir), f'backbone_ckpt:{cls_dir}'))
    commands = [
        ['tools/run_expand.py', *e_args, '--step', 'relation', '--out',
         p['relation_dir']],
        train,
        ['tools/run_expand.py', *e_args, '--step', 'walk', '--checkpoint',
         _Checkpoint(p['expand_model']), '--out', p['pseudo_cam_dir']]]
    return commands, [p['relation_dir'], p['expand_model']], [e['config']]


def build_wsss_stages(cfg):
    """Stages and the folders they write, from a pipeline config."""
    W = cfg.work_dir
    data = cfg.data
    voc = osp.abspath(data.voc_root)
    duts = osp.abspath(data.duts_root)
    classes = data.get('classes', 'voc')
    p = dict(
        img_dir=osp.join(voc, 'JPEGImages'),
        gt_dir=osp.join(voc, 'SegmentationClassAug'),
        cls_dir=osp.join(W, 'classify'),
        cam_dir=osp.join(W, 'cams'),
        relation_dir=osp.join(W, 'relation_labels'),
        expand_model=osp.join(W, 'expand_model'),
        pseudo_cam_dir=osp.join(W, 'pseudo_cam'),
        sod_dir=osp.join(W, 'saliency_model'),
        sal_dir=osp.join(W, 'saliency'),
        norms=osp.join(W, 'class_salience.json'),
        pseudo_fused_dir=osp.join(W, 'pseudo_fused'),
        selector_log=osp.join(W, 'pseudo_fused', 'selector_log.csv'),
        seg_cam_dir=osp.join(W, 'segment_expand'),
        seg_fused_dir=osp.join(W, 'segment_select'),
        pred_dir=osp.join(W, 'segment_select', 'pred_samples'),
        pred_expand_dir=osp.join(W, 'segment_expand', 'pred_samples'),
        cam_eval=osp.join(W, 'cam_eval.json'),
        selector_sweep=osp.join(W, 'selector_sweep.json'),
    )
    cam_split = data.get('cam_split', 'train_aug')
    eval_split = data.get('eval_split', 'train')
    stages = []

    def test_command(config, work, opts):
        """tools/test.py with its metrics at ``<work>/test/metrics.json``."""
        metrics = osp.join(work, 'test', 'metrics.json')
        return (['tools/test.py', config, _Checkpoint(work), '--work-dir',
                 osp.join(work, 'test'), '--out-metrics', metrics,
                 *_cfg_options(opts)],
                lambda: _read_json(metrics))

    if data.get('toy'):
        toy = data.toy
        stages.append(Stage(
            'data',
            [['tools/make_toy_data.py', '--out', toy.out, '--seed',
              str(toy.seed), '--num-images', str(toy.num_images), '--size',
              str(toy.size)]],
            outputs=[toy.out], settings=dict(toy)))

    # 1. classify: the CAM classifier
    c = cfg.classify
    c_opts = _with_data_root(c.get('cfg_options'), voc)
    c_test, c_metrics = test_command(c.config, p['cls_dir'], c_opts)
    stages.append(Stage(
        'classify',
        [['tools/train.py', c.config, '--work-dir', p['cls_dir'], '--resume',
          *_cfg_options(c_opts)], c_test],
        outputs=[p['cls_dir']], settings=dict(c), deps=['data'],
        config_files=[c.config], metrics=c_metrics,
        torchrun=('tools/train.py', )))

    # 2. cam: CAMs, evaluated on the split with GT
    cam_eval = osp.join(W, 'cam_eval.json')
    stages.append(Stage(
        'cam',
        [['tools/run_cam.py', c.config, _Checkpoint(p['cls_dir']),
          '--data-root', voc, '--split', cam_split, '--out', p['cam_dir'],
          '--stage-config', _stage_config(W, 'cam', cfg.get('cam'))],
         ['tools/eval_cam.py', '--cam-dir', p['cam_dir'], '--data-root', voc,
          '--split', eval_split, '--out-json', cam_eval]],
        outputs=[p['cam_dir'], cam_eval], settings=dict(cfg.get('cam') or {}),
        deps=['classify'], metrics=lambda: _read_json(cam_eval),
        torchrun=('tools/run_cam.py', )))

    # 3. expand: pseudo-labels (bg_thr='best' reads cam_eval.json)
    expand_eval = osp.join(W, 'expand_eval.json')
    e = cfg.get('expand') or {}
    e_args = ['--cam-dir', p['cam_dir'], '--data-root', voc, '--split',
              cam_split, '--cam-eval', cam_eval, '--stage-config',
              _stage_config(W, 'expand', e)]
    e_eval = ['tools/eval_labels.py', '--pred-dir', p['pseudo_cam_dir'],
              '--data-root', voc, '--split', eval_split, '--out-json',
              expand_eval]
    # validated once, before any stage runs
    from mmwsss.stages.expand import ExpandSettings
    ExpandSettings.from_config(e, cam_dir=p['cam_dir'], data_root=voc,
                               out=p['pseudo_cam_dir'], cam_eval=cam_eval)
    if e.get('method') == 'irn':
        commands, e_outputs, e_configs = _irn_expand_commands(
            e, e_args, voc, p)
        commands.append(e_eval)
    else:
        commands = [['tools/run_expand.py', '--cam-dir', p['cam_dir'],
                     '--data-root', voc, '--split', cam_split, '--out',
                     p['pseudo_cam_dir'], '--cam-eval', cam_eval,
                     '--stage-config', _stage_config(W, 'expand', e)],
                    e_eval]
        e_outputs, e_configs = [], []
    stages.append(Stage(
        'expand', commands,
        outputs=[*e_outputs, p['pseudo_cam_dir'], expand_eval],
        settings=dict(e), deps=['cam'] + (['classify'] if e_configs else []),
        config_files=e_configs,
        metrics=lambda: dict(_read_json(expand_eval),
                             method=e.get('method', 'par')),
        torchrun=('tools/train.py', ) if e_configs else ()))

    # 4. saliency: train the SOD net on DUTS-TR, test on DUTS-TE, infer
    s = cfg.saliency
    s_opts = _with_data_root(s.get('cfg_options'), duts)
    s_test, s_metrics = test_command(s.config, p['sod_dir'], s_opts)
    stages.append(Stage(
        'saliency',
        [['tools/train.py', s.config, '--work-dir', p['sod_dir'], '--resume',
          *_cfg_options(s_opts)], s_test,
         ['tools/run_saliency.py', s.config, _Checkpoint(p['sod_dir']),
          '--img-dir', p['img_dir'], '--list',
          osp.join(voc, 'ImageSets', 'Segmentation', cam_split + '.txt'),
          '--out', p['sal_dir']]],
        outputs=[p['sod_dir'], p['sal_dir']], settings=dict(s),
        deps=['data'], config_files=[s.config], metrics=s_metrics,
        torchrun=('tools/train.py', 'tools/run_saliency.py')))

    # 5. select: class salience, then fusion, evaluated on the GT split.
    # The soft rule's foreground score (and the alpha sweep) is thresholded
    # at the background threshold: by default ('best') the CAM sweep's.
    sel_section = dict(cfg.get('select') or {})
    sel_thr = sel_section.pop('bg_thr', 'best')
    if sel_thr == 'best':
        sel_thr = LazyArg(
            lambda: str(_read_json(cam_eval)['best_threshold']),
            f'best_threshold:{cam_eval}')
    sel_cfg = _stage_config(W, 'select', sel_section)
    select_eval = osp.join(W, 'select_eval.json')
    sweep_md = osp.join(W, 'selector_sweep.md')
    inputs = ['--data-root', voc, '--split', cam_split, '--pseudo-dir',
              p['pseudo_cam_dir'], '--sal-dir', p['sal_dir']]
    stages.append(Stage(
        'select',
        [['tools/class_salience.py', *inputs, '--out', p['norms']],
         ['tools/run_select.py', *inputs, '--norms', p['norms'], '--out',
          p['pseudo_fused_dir'], '--log', p['selector_log'],
          '--stage-config', sel_cfg, '--bg-thr', sel_thr],
         ['tools/eval_labels.py', '--pred-dir', p['pseudo_fused_dir'],
          '--data-root', voc, '--split', eval_split, '--out-json',
          select_eval],
         # the paper's Table 3 on the GT split (the selection threshold
         # alpha, alpha*, hard), the blend weights and the tau gate
         ['tools/sweep_selector.py', '--data-root', voc, '--split',
          eval_split, '--pseudo-dir', p['pseudo_cam_dir'], '--sal-dir',
          p['sal_dir'], '--cam-dir', p['cam_dir'], '--norms', p['norms'],
          '--stage-config', sel_cfg, '--bg-thr', sel_thr, '--out-md',
          sweep_md, '--out-json', p['selector_sweep']]],
        outputs=[p['norms'], p['pseudo_fused_dir'], select_eval, sweep_md,
                 p['selector_sweep']],
        settings=dict(cfg.get('select') or {}),
        deps=['cam', 'expand', 'saliency'],
        metrics=lambda: _read_json(select_eval)))

    # 6. segment: the segmenter on the expand labels and on the fused labels
    g = cfg.segment
    for name, label_dir, work, pred_dir in (
            ('segment_expand', p['pseudo_cam_dir'], p['seg_cam_dir'],
             p['pred_expand_dir']),
            ('segment_select', p['pseudo_fused_dir'], p['seg_fused_dir'],
             p['pred_dir'])):
        opts = _with_data_root(g.get('cfg_options'), voc)
        opts['train_dataloader.dataset.data_prefix.seg_map_path'] = \
            osp.abspath(label_dir)
        g_test, g_metrics = test_command(g.config, work, opts)
        commands = [
            ['tools/train.py', g.config, '--work-dir', work, '--resume',
             *_cfg_options(opts)], g_test]
        # predictions on the GT split, for the report's picture grid
        sample_opts = dict(opts)
        sample_opts['test_dataloader.dataset.ann_file'] = \
            f'ImageSets/Segmentation/{eval_split}.txt'
        sample_opts.update(g.get('sample_cfg_options') or {})
        commands.append(
            ['tools/test.py', g.config, _Checkpoint(work), '--work-dir',
             osp.join(work, 'samples'), '--out', pred_dir,
             *_cfg_options(sample_opts)])
        stages.append(Stage(
            name, commands, outputs=[work], settings=dict(g),
            deps=['select' if name == 'segment_select' else 'expand'],
            config_files=[g.config], metrics=g_metrics,
            torchrun=('tools/train.py', )))
    return stages, p, classes
