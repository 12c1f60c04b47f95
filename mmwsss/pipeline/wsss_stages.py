"""The stages of the method, as commands of the per-stage tools.

``build_wsss_stages(cfg)`` turns a pipeline config (``configs/pipelines``)
into :class:`Stage` objects for :class:`PipelineRunner`. No stage computes
anything itself: each one calls the tools a user would call by hand.
"""
import glob
import json
import os.path as osp

from .pipeline_runner import LazyArg, Stage


def _cfg_options(options):
    """dict -> ``--cfg-options k=v ...`` (values as mmengine's DictAction
    reads them)."""
    if not options:
        return []
    out = ['--cfg-options']
    for k, v in options.items():
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


def latest_test_metrics(work_dir):
    """Metrics dict from the newest ``<work_dir>/<timestamp>/<ts>.json``
    written by ``tools/test.py``."""
    files = sorted(glob.glob(osp.join(work_dir, '*', '*.json')))
    if not files:
        raise FileNotFoundError(f'no metrics json under {work_dir}')
    with open(files[-1]) as f:
        return json.load(f)


def _read_json(path):
    with open(path) as f:
        return json.load(f)


def _Checkpoint(work_dir):
    """The last checkpoint of a training work dir, resolved at run time."""
    return LazyArg(lambda: last_checkpoint(work_dir),
                   f'last_checkpoint:{work_dir}')


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
        pseudo_cam_dir=osp.join(W, 'pseudo_cam'),
        sod_dir=osp.join(W, 'sod'),
        sal_dir=osp.join(W, 'saliency'),
        norms=osp.join(W, 'class_salience.json'),
        pseudo_fused_dir=osp.join(W, 'pseudo_fused'),
        selector_log=osp.join(W, 'pseudo_fused', 'selector_log.csv'),
        seg_cam_dir=osp.join(W, 'segment_cam'),
        seg_fused_dir=osp.join(W, 'segment_fused'),
        pred_dir=osp.join(W, 'segment_fused', 'pred_samples'),
    )
    cam_split = data.get('cam_split', 'train_aug')
    eval_split = data.get('eval_split', 'train')
    stages = []

    if data.get('toy'):
        toy = data.toy
        stages.append(Stage(
            'data',
            [['tools/make_toy_data.py', '--out', toy.out, '--seed',
              str(toy.seed), '--num-images', str(toy.num_images), '--size',
              str(toy.size)]],
            outputs=[toy.out], settings=dict(toy)))

    # 1. classifier
    c = cfg.classify
    c_opts = _with_data_root(c.get('cfg_options'), voc)
    stages.append(Stage(
        'classify',
        [['tools/train.py', c.config, '--work-dir', p['cls_dir'], '--resume',
          *_cfg_options(c_opts)],
         ['tools/test.py', c.config, _Checkpoint(p['cls_dir']), '--work-dir',
          osp.join(p['cls_dir'], 'test'), *_cfg_options(c_opts)]],
        outputs=[p['cls_dir']], settings=dict(c), deps=['data'],
        config_files=[c.config],
        metrics=lambda: latest_test_metrics(osp.join(p['cls_dir'], 'test')),
        torchrun=('tools/train.py', )))

    # 2. CAMs, evaluated on the split with GT
    m = cfg.cam
    cam_eval = osp.join(W, 'cam_eval.json')
    stages.append(Stage(
        'cam',
        [['tools/make_cam.py', c.config, _Checkpoint(p['cls_dir']),
          '--data-root', voc, '--split', cam_split, '--out', p['cam_dir'],
          *m.get('extra_args', [])],
         ['tools/eval_cam.py', '--cam-dir', p['cam_dir'], '--data-root', voc,
          '--split', eval_split, '--out-json', cam_eval]],
        outputs=[p['cam_dir'], cam_eval], settings=dict(m), deps=['classify'],
        metrics=lambda: _read_json(cam_eval),
        torchrun=('tools/make_cam.py', )))

    # 3. expansion to rough pseudo-labels
    e = cfg.expand
    expand_eval = osp.join(W, 'pseudo_cam_eval.json')

    def bg_thr():
        if e.get('bg_thr', 'best') == 'best':
            return str(_read_json(cam_eval)['best_threshold'])
        return str(e.bg_thr)

    _Thr = lambda: LazyArg(bg_thr, f'bg_thr:{e.get("bg_thr", "best")}')  # noqa

    stages.append(Stage(
        'expand',
        [['tools/make_pseudo_labels.py', '--cam-dir', p['cam_dir'],
          '--data-root', voc, '--split', cam_split, '--out',
          p['pseudo_cam_dir'], '--bg-thr', _Thr(), *e.get('extra_args', [])],
         ['tools/eval_pseudo_labels.py', '--pred-dir', p['pseudo_cam_dir'],
          '--data-root', voc, '--split', eval_split, '--out-json',
          expand_eval]],
        outputs=[p['pseudo_cam_dir'], expand_eval], settings=dict(e),
        deps=['cam'], metrics=lambda: _read_json(expand_eval)))

    # 4. saliency: train the SOD net on DUTS-TR, test on DUTS-TE, infer
    s = cfg.sod
    s_opts = _with_data_root(s.get('cfg_options'), duts)
    stages.append(Stage(
        'sod',
        [['tools/train.py', s.config, '--work-dir', p['sod_dir'], '--resume',
          *_cfg_options(s_opts)],
         ['tools/test.py', s.config, _Checkpoint(p['sod_dir']), '--work-dir',
          osp.join(p['sod_dir'], 'test'), *_cfg_options(s_opts)],
         ['tools/make_saliency.py', s.config, _Checkpoint(p['sod_dir']),
          '--img-dir', p['img_dir'], '--list',
          osp.join(voc, 'ImageSets', 'Segmentation', cam_split + '.txt'),
          '--out', p['sal_dir']]],
        outputs=[p['sod_dir'], p['sal_dir']], settings=dict(s),
        deps=['data'], config_files=[s.config],
        metrics=lambda: latest_test_metrics(osp.join(p['sod_dir'], 'test')),
        torchrun=('tools/train.py', 'tools/make_saliency.py')))

    # 5. selector: class salience, then fusion, evaluated on the GT split
    f = cfg.select
    fuse_eval = osp.join(W, 'pseudo_fused_eval.json')
    stages.append(Stage(
        'fuse',
        [['tools/class_salience.py', '--data-root', voc, '--split', cam_split,
          '--pseudo-dir', p['pseudo_cam_dir'], '--sal-dir', p['sal_dir'],
          '--out', p['norms']],
         ['tools/fuse_pseudo_labels.py', '--data-root', voc, '--split',
          cam_split, '--pseudo-dir', p['pseudo_cam_dir'], '--sal-dir',
          p['sal_dir'], '--norms', p['norms'], '--out', p['pseudo_fused_dir'],
          '--log', p['selector_log'], *f.get('extra_args', [])],
         ['tools/eval_pseudo_labels.py', '--pred-dir', p['pseudo_fused_dir'],
          '--data-root', voc, '--split', eval_split, '--out-json',
          fuse_eval]],
        outputs=[p['norms'], p['pseudo_fused_dir'], fuse_eval],
        settings=dict(f), deps=['expand', 'sod'],
        metrics=lambda: _read_json(fuse_eval)))

    # 6. segmenters on CAM-only and on fused pseudo-labels
    g = cfg.segment
    for name, label_dir, work in (
            ('segment_cam', p['pseudo_cam_dir'], p['seg_cam_dir']),
            ('segment_fused', p['pseudo_fused_dir'], p['seg_fused_dir'])):
        opts = _with_data_root(g.get('cfg_options'), voc)
        opts['train_dataloader.dataset.data_prefix.seg_map_path'] = \
            osp.abspath(label_dir)
        commands = [
            ['tools/train.py', g.config, '--work-dir', work, '--resume',
             *_cfg_options(opts)],
            ['tools/test.py', g.config, _Checkpoint(work), '--work-dir',
             osp.join(work, 'test'), *_cfg_options(opts)]]
        if name == 'segment_fused':
            # predictions on the GT split, for the report's picture grid
            sample_opts = dict(opts)
            sample_opts['test_dataloader.dataset.ann_file'] = \
                f'ImageSets/Segmentation/{eval_split}.txt'
            sample_opts.update(g.get('sample_cfg_options') or {})
            commands.append(
                ['tools/test.py', g.config, _Checkpoint(work), '--work-dir',
                 osp.join(work, 'samples'), '--out', p['pred_dir'],
                 *_cfg_options(sample_opts)])
        stages.append(Stage(
            name, commands, outputs=[work], settings=dict(g),
            deps=['fuse' if name == 'segment_fused' else 'expand'],
            config_files=[g.config],
            metrics=lambda work=work: latest_test_metrics(
                osp.join(work, 'test')),
            torchrun=('tools/train.py', )))
    return stages, p, classes
