"""The stages of the method, as steps of the stage modules.

``build_wsss_stages(cfg)`` turns a pipeline config (``configs/pipelines``)
into :class:`Stage` objects for :class:`PipelineRunner`, one builder per
stage. Every command of a stage is one step of a stage module,
``python -m mmwsss.stages.<stage> <work_dir>/stage_settings/<name>.json``
(:mod:`mmwsss.stages.entry`, built by :mod:`.stage_steps`): the step's
settings object is built from the
stage's config section and the :class:`WorkDir` paths and checked here,
before any stage runs, and written to that file when the step starts (then
the values known only at that time are filled in: the last checkpoint of a
training step, the CAM sweep's best threshold).

Each stage's metrics are read from the files its steps write:
``cam_eval.json`` (``best_threshold``, read by stage expand), the
``*_eval.json`` of the label evaluations and the ``metrics.json`` of each
test. With ``expand.method='irn'`` the expand stage also trains a network
(into ``expand_model``) between its relation-label and random-walk steps.
Config files named in the pipeline config are found relative to the
working directory, else to the pipeline config's folder or one above it,
else in the package's configs (:func:`resolve_config`).
"""
import os.path as osp
from types import SimpleNamespace

from mmwsss.datasets.voc_layout import default_gt_dir, split_list_path

from .stage import LazyArg, Stage
# classes_spec and resolve_config: re-exported (tests import them here)
from .stage_steps import (checkpoint_of, classes_spec, label_eval,
                          read_json, resolve_config, step, train_and_test,
                          with_data_root)
from .work_dir import WorkDir

#: the stages in pipeline order (the segment stage runs twice: on the
#: expand stage's labels and on the select stage's fused labels); the toy
#: ``data`` stage is added by ``tools/run_pipeline.py``
STAGE_NAMES = ('data', 'classify', 'cam', 'expand', 'saliency', 'select',
               'segment_expand', 'segment_select')


def classify_stage(cfg, wd, d):
    """Stage classify: the CAM classifier, trained then tested."""
    c = cfg.classify
    commands, metrics = train_and_test(
        wd, 'classify', 'classify', d.config(c.config), wd.classify,
        with_data_root(c.get('cfg_options'), d.voc))
    return Stage('classify', commands, outputs=[wd.classify],
                 settings=dict(c), deps=['data'],
                 config_files=[d.config(c.config)], metrics=metrics,
                 inputs=[d.voc])


def cam_stage(cfg, wd, d):
    """Stage cam: CAMs of the cam split, evaluated on the split with GT."""
    from mmwsss.stages.cam import CamSettings
    section = cfg.get('cam')
    commands = [
        step(wd, 'cam.cam', 'cam', 'cam', CamSettings, section,
             distributed=True, config=d.config(cfg.classify.config),
             checkpoint=checkpoint_of(wd.classify), data_root=d.voc,
             split=d.cam_split, out=wd.cam),
        label_eval(wd, 'cam', 'cam', d, wd.cam_eval, cam_dir=wd.cam)]
    return Stage('cam', commands, outputs=[wd.cam, wd.cam_eval],
                 settings=dict(section or {}), deps=['classify'],
                 metrics=lambda: read_json(wd.cam_eval), inputs=[d.voc])


def expand_stage(cfg, wd, d):
    """Stage expand: pseudo-labels from the CAMs (``cam_thr='best'`` reads
    cam_eval.json); method irn: relation labels, the relation network
    (its backbone from stage classify with ``backbone_from_classify``),
    the random walk."""
    from mmwsss.stages.expand import ExpandSettings
    from mmwsss.stages.expand_methods import (DEFAULT_METHOD,
                                              get_expand_method)
    from mmwsss.stages.training import TrainSettings
    e = dict(cfg.get('expand') or {})
    method_name = e.get('method', DEFAULT_METHOD)
    try:
        method = get_expand_method(method_name)
    except KeyError as err:
        raise ValueError(f'expand settings: method: {err.args[0]}') from None
    if e.get('config'):
        e['config'] = d.config(e['config'])
    paths = dict(cam_dir=wd.cam, data_root=d.voc, split=d.cam_split,
                 cam_eval=wd.cam_eval)
    outputs, configs = [], []
    if method.trains_network:  # irn: relation labels, network, walk
        opts = {'train_dataloader.dataset.data_root': d.voc,
                'train_dataloader.dataset.data_prefix.seg_map_path':
                wd.expand_relation}
        opts.update(e.get('cfg_options') or {})
        if e.get('backbone_from_classify'):
            # the frozen backbone of the relation network is stage 1's
            opts['model.backbone.init_cfg.checkpoint'] = \
                checkpoint_of(wd.classify)
        commands = [
            step(wd, 'expand.relation', 'expand', 'expand', ExpandSettings,
                 e, dict(step='relation'), out=wd.expand_relation, **paths),
            step(wd, 'expand.train', 'expand', 'train', TrainSettings,
                 distributed=True, config=e['config'],
                 work_dir=wd.expand_model, cfg_options=opts),
            step(wd, 'expand.walk', 'expand', 'expand', ExpandSettings, e,
                 dict(step='walk', checkpoint=checkpoint_of(wd.expand_model)),
                 out=wd.expand, **paths)]
        outputs, configs = [wd.expand_relation, wd.expand_model], \
            [e['config']]
    else:
        commands = [step(wd, 'expand.expand', 'expand', 'expand',
                         ExpandSettings, e, out=wd.expand, **paths)]
    commands.append(label_eval(wd, 'expand', 'expand', d, wd.expand_eval,
                                pred_dir=wd.expand))
    return Stage(
        'expand', commands, outputs=[*outputs, wd.expand, wd.expand_eval],
        settings=dict(cfg.get('expand') or {}),
        deps=['cam'] + (['classify'] if configs else []),
        config_files=configs, inputs=[d.voc],
        metrics=lambda: dict(read_json(wd.expand_eval),
                             method=method_name))


def saliency_stage(cfg, wd, d):
    """Stage saliency: train the SOD net on DUTS-TR, test it on DUTS-TE,
    then its maps of the cam split's images."""
    from mmwsss.stages.saliency import SaliencySettings
    s = cfg.saliency
    config = d.config(s.config)
    commands, metrics = train_and_test(
        wd, 'saliency', 'saliency', config, wd.saliency_model,
        with_data_root(s.get('cfg_options'), d.duts))
    image_list = split_list_path(d.voc, d.cam_split)
    commands.append(step(
        wd, 'saliency.infer', 'saliency', 'infer', SaliencySettings, s,
        distributed=True, config=config,
        checkpoint=checkpoint_of(wd.saliency_model), img_dir=d.img_dir,
        list=image_list, out=wd.saliency))
    return Stage('saliency', commands,
                 outputs=[wd.saliency_model, wd.saliency], settings=dict(s),
                 deps=['data'], config_files=[config], metrics=metrics,
                 inputs=[d.duts, d.img_dir, image_list])


def select_stage(cfg, wd, d):
    """Stage select: class salience, then fusion, evaluated on the GT
    split, then the sweeps on that split (the paper's Table 3: the
    selection threshold alpha, alpha*, hard; the blend weights and the tau
    gate). The soft rule's
    foreground score (and the alpha sweep) is thresholded at ``fuse_thr``:
    by default ('best') the CAM sweep's best threshold."""
    from mmwsss.stages.select import SelectSettings
    section = dict(cfg.get('select') or {})
    fuse_thr = section.pop('fuse_thr', 'best')
    if fuse_thr == 'best':
        fuse_thr = LazyArg(lambda: float(read_json(wd.cam_eval)[
            'best_threshold']), f'best_threshold:{wd.cam_eval}',
            placeholder=0.5)
    inputs = dict(data_root=d.voc, sal_dir=wd.saliency,
                  pseudo_dir=wd.expand)
    commands = [
        step(wd, 'select.salience', 'select', 'salience', SelectSettings,
             section, split=d.cam_split, norms=wd.select_salience,
             **inputs),
        step(wd, 'select.fuse', 'select', 'fuse', SelectSettings, section,
             split=d.cam_split, norms=wd.select_salience, out=wd.select,
             log=wd.select_log, fuse_thr=fuse_thr, **inputs),
        label_eval(wd, 'select', 'select', d, wd.select_eval,
                    pred_dir=wd.select),
        step(wd, 'select.sweep', 'select', 'sweep', SelectSettings, section,
             dict(out_md=wd.select_sweep_md, out_json=wd.select_sweep),
             split=d.eval_split, cam_dir=wd.cam, norms=wd.select_salience,
             fuse_thr=fuse_thr, **inputs)]
    return Stage(
        'select', commands,
        outputs=[wd.select_salience, wd.select, wd.select_eval,
                 wd.select_sweep_md, wd.select_sweep],
        settings=dict(cfg.get('select') or {}),
        deps=['cam', 'expand', 'saliency'], inputs=[d.voc],
        metrics=lambda: read_json(wd.select_eval))


def segment_stage(cfg, wd, d, name, labels, work, pred_dir, after):
    """Stage segment on the labels in ``labels``: train, test, and the
    predictions on the split with GT (the report's picture grid)."""
    from mmwsss.stages.training import TestSettings
    g = cfg.segment
    config = d.config(g.config)
    opts = with_data_root(g.get('cfg_options'), d.voc)
    opts['train_dataloader.dataset.data_prefix.seg_map_path'] = labels
    commands, metrics = train_and_test(wd, name, 'segment', config, work,
                                        opts)
    sample_opts = dict(opts)
    sample_opts['test_dataloader.dataset.ann_file'] = \
        f'ImageSets/Segmentation/{d.eval_split}.txt'
    sample_opts.update(g.get('sample_cfg_options') or {})
    commands.append(step(
        wd, f'{name}.samples', 'segment', 'samples', TestSettings,
        config=config, checkpoint=checkpoint_of(work),
        work_dir=osp.join(work, 'samples'), out=pred_dir,
        cfg_options=sample_opts))
    return Stage(name, commands, outputs=[work], settings=dict(g),
                 deps=[after], config_files=[config], metrics=metrics,
                 inputs=[d.voc])


def build_wsss_stages(cfg):
    """``(stages, WorkDir, data.classes)`` of a pipeline config; every
    stage's settings are checked here, before any stage runs, and so are
    the config's top-level keys (a misspelt section is refused)."""
    from mmwsss.stages.settings import check_pipeline_keys
    check_pipeline_keys(cfg)
    wd = WorkDir.at(cfg.work_dir)
    data = cfg.data
    voc = osp.abspath(data.voc_root)
    d = SimpleNamespace(
        voc=voc, duts=osp.abspath(data.duts_root),
        img_dir=osp.join(voc, 'JPEGImages'), gt_dir=default_gt_dir(voc),
        cam_split=data.get('cam_split', 'train_aug'),
        eval_split=data.get('eval_split', 'train'),
        classes=classes_spec(data.get('classes')),
        config=lambda path: resolve_config(path, cfg.filename))
    stages = [
        classify_stage(cfg, wd, d), cam_stage(cfg, wd, d),
        expand_stage(cfg, wd, d), saliency_stage(cfg, wd, d),
        select_stage(cfg, wd, d),
        segment_stage(cfg, wd, d, 'segment_expand', wd.expand,
                      wd.segment_expand, wd.segment_expand_pred, 'expand'),
        segment_stage(cfg, wd, d, 'segment_select', wd.select,
                      wd.segment_select, wd.segment_select_pred, 'select')]
    return stages, wd, data.get('classes')
