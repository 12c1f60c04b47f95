"""The pieces every stage of :mod:`.wsss_stages` is built from: one step of
a stage module as a command (:func:`step`), the train + test steps of a
training stage, a label evaluation, and the values known only at run time
(the last checkpoint of a training folder, :func:`checkpoint_of`).

A step is ``python -m mmwsss.stages.<stage> <work_dir>/stage_settings/
<name>.json`` (:mod:`mmwsss.stages.entry`): its settings object is built
from the stage's config section and the :class:`~.work_dir.WorkDir` paths
and checked when the stage is built, then written to that file when the
step starts. Config files named in the pipeline config are found by
:func:`resolve_config`.
"""
import json
import os.path as osp

from .stage import Command, LazyArg


def resolve_config(path, pipeline_file=None):
    """An mm config named in a pipeline config, as an absolute path: as
    given (absolute, or relative to the working directory), else relative
    to the pipeline config's folder or a folder above it, else to the
    package's own files (``mmwsss/.mim``: ``configs/...``)."""
    if osp.isabs(path) or osp.isfile(path):
        return osp.abspath(path)
    bases = []
    if pipeline_file:
        folder = osp.dirname(osp.abspath(pipeline_file))
        while True:
            bases.append(folder)
            parent = osp.dirname(folder)
            if parent == folder:
                break
            folder = parent
    bases.append(osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))),
                          '.mim'))
    for base in bases:
        if osp.isfile(osp.join(base, path)):
            return osp.join(base, path)
    raise FileNotFoundError(
        f'config {path!r} (named in the pipeline config '
        f'{pipeline_file or ""}) not found in the working directory, beside '
        'the pipeline config or in the package')


def last_checkpoint(work_dir):
    """Path written by mmengine's CheckpointHook in ``last_checkpoint``."""
    marker = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        raise FileNotFoundError(f'{marker}: training left no checkpoint')
    with open(marker) as f:
        return f.read().strip()


def read_json(path):
    with open(path) as f:
        return json.load(f)


def checkpoint_of(work_dir):
    """The last checkpoint of a training folder, resolved when needed."""
    return LazyArg(lambda: last_checkpoint(work_dir),
                   f'last_checkpoint:{work_dir}',
                   placeholder=osp.join(work_dir, 'last_checkpoint'))


def _resolve(value):
    """``value`` with every :class:`LazyArg` in it replaced by its value."""
    if isinstance(value, LazyArg):
        return value.fn()
    if isinstance(value, dict):
        return {k: _resolve(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_resolve(v) for v in value)
    return value


def _placeholders(value):
    if isinstance(value, LazyArg):
        return value.placeholder
    if isinstance(value, dict):
        return {k: _placeholders(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_placeholders(v) for v in value)
    return value


def step(wd, name, stage, step_name, settings_cls, section=None, args=None,
         distributed=False, **values):
    """The command of one step: ``python -m mmwsss.stages.<stage>
    <wd.stage_settings>/<name>.json``. The settings (``section`` of the
    pipeline config plus ``values``) are checked now, with placeholders for
    the values known only at run time, and written when the step starts."""
    from mmwsss.stages.entry import step_record
    settings_cls.from_config(section, **_placeholders(values))  # check now
    path = osp.join(wd.stage_settings, f'{name}.json')

    def write():
        from mmwsss.utils.io import atomic_write
        record = step_record(stage, step_name, settings_cls.from_config(
            section, **_resolve(values)), _resolve(args or {}))
        with atomic_write(path) as tmp:
            with open(tmp, 'w') as f:
                json.dump(record, f, indent=2, sort_keys=True)
        return path

    key = dict(stage=stage, step=step_name, section=dict(section or {}),
               values=values, args=args or {})
    return Command(['-m', f'mmwsss.stages.{stage}',
                    LazyArg(write, key)], distributed=distributed)


def with_data_root(options, root):
    """Stage cfg-options plus the data root of all three dataloaders."""
    opts = {f'{split}_dataloader.dataset.data_root': root
            for split in ('train', 'val', 'test')}
    opts.update(options or {})
    return opts


def train_and_test(wd, name, stage, config, work, opts):
    """The ``train`` and ``test`` steps of a training stage, and the
    reader of its metrics (``<work>/test/metrics.json``)."""
    from mmwsss.stages.training import TestSettings, TrainSettings
    metrics = osp.join(work, 'test', 'metrics.json')
    commands = [
        step(wd, f'{name}.train', stage, 'train', TrainSettings,
             distributed=True, config=config, work_dir=work,
             cfg_options=opts),
        step(wd, f'{name}.test', stage, 'test', TestSettings, config=config,
             checkpoint=checkpoint_of(work),
             work_dir=osp.join(work, 'test'), out_metrics=metrics,
             cfg_options=opts)]
    return commands, lambda: read_json(metrics)


def label_eval(wd, name, stage, d, out_json, **source):
    from mmwsss.stages.evaluate import LabelEvalSettings
    return step(wd, f'{name}.eval', stage, 'eval', LabelEvalSettings,
                data_root=d.voc, split=d.eval_split, out_json=out_json,
                classes=d.classes, **source)


def classes_spec(classes):
    """The evaluators' ``classes`` for the pipeline's ``data.classes``: a
    set name (``'voc'``, ``'toy'``), a classes.txt (made absolute) or a
    list of names (joined by commas); ``None``: the evaluators read
    ``<voc_root>/classes.txt``, else count the image-level labels."""
    if classes is None:
        return None
    if isinstance(classes, str):
        return osp.abspath(classes) if osp.isfile(classes) else classes
    names = [str(n) for n in classes]
    if any(',' in n for n in names):
        raise ValueError(f'data.classes: a class name holds a comma: {names}')
    return ','.join(names)
