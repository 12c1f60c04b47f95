"""The whole pipeline of one config: its stages built and checked
(:func:`~.wsss_stages.build_wsss_stages`), run in order by
:class:`~.pipeline_runner.PipelineRunner` with the manifest in the work
folder, then the report (:class:`~.report_writer.ReportWriter`).

``tools/run_pipeline.py`` is its command line; the multi-seed study
(:mod:`.study_seeds`) calls :func:`run_pipeline` once per seed, in its own
process. Both work from any working directory: paths in the config are
relative to it, configs named in it are also found beside the pipeline
config or in the package (:func:`~.stage_steps.resolve_config`).

A stage that makes the input data is not the package's: the procedural toy
data (``data.toy``) is made by a tool, so the caller hands that stage in
(``data_stage``).
"""
import os.path as osp
import time

from mmwsss.datasets.voc_layout import resolve_class_names

from .pipeline_runner import PipelineRunner
from .report_writer import ReportWriter
from .run_info import pipeline_seed
from .wsss_stages import build_wsss_stages


def load_pipeline_config(config, cfg_options=None, work_dir=None):
    """The pipeline config ``config`` (a file) with ``cfg_options`` (dotted
    keys, as ``--cfg-options``) merged and ``work_dir`` (when given) set."""
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if work_dir:
        cfg.work_dir = work_dir
    return cfg


def run_pipeline(cfg, only=None, nproc=1, jobs=None, data_stage=None,
                 config=None, command=None, log=print):
    """Run (or resume) the stages of the pipeline config ``cfg`` in
    ``cfg.work_dir``, then write the report; returns the report's path.

    Args:
        cfg (Config): the pipeline config (:func:`load_pipeline_config`).
        only (list[str], optional): run only these stages.
        nproc (int): processes of each distributed step (``torchrun`` when
            more than 1).
        jobs (int, optional): stages run side by side; default the
            config's ``jobs``, else 1.
        data_stage (callable, optional): ``data_stage(cfg)`` -> the
            :class:`~.stage.Stage` that makes the input data (run first), or
            None. Required when the config has ``data.toy``.
        config (str, optional): the config as named, for the report
            (default ``cfg.filename``).
        command (str, optional): the command line, for the report.

    Raises:
        ValueError: bad settings (every stage's are checked before any
            stage runs), or ``data.toy`` without ``data_stage``.
        RuntimeError: a stage failed or the run was stopped; the same call
            again skips the finished stages and resumes the failed one.
    """
    stages, wd, classes = build_wsss_stages(cfg)
    first = data_stage(cfg) if data_stage is not None else None
    if first is not None:
        stages.insert(0, first)
    elif cfg.data.get('toy'):
        raise ValueError(
            f'{config or cfg.filename}: data.toy is set, but no data stage '
            'was given to make the toy data (the pipeline and study command '
            'lines give theirs)')
    t0 = time.time()
    runner = PipelineRunner(wd.root, stages, nproc=nproc,
                            jobs=jobs or cfg.get('jobs', 1),
                            env=cfg.get('env', None), log=log)
    manifest = runner.run(only=only)
    voc = osp.abspath(cfg.data.voc_root)
    report = ReportWriter.for_work_dir(
        wd, osp.join(voc, 'JPEGImages'), osp.join(voc, 'SegmentationClassAug'),
        resolve_class_names(classes, data_root=voc),
        num_samples=cfg.get('report', {}).get('num_samples', 8),
        info=dict(config=config or cfg.filename, seed=pipeline_seed(cfg),
                  command=command,
                  pred_split=cfg.data.get('eval_split', 'train'))).write(
            manifest)
    log(f'Pipeline finished in {time.time() - t0:.0f} s. Report: '
        f'{osp.abspath(report)}')
    return report
