"""The multi-seed study: the whole pipeline once per seed, then the spread.

One run on a toy cannot tell a 1-point effect from noise, so
``tools/run_study.py`` runs the pipeline (:func:`~.wsss_pipeline.
run_pipeline`) once per seed, each in ``<work_dir>/seed_<s>/`` with its
own toy data and training seeds (:mod:`.study_seeds`). Then
:mod:`.study_aggregate` reads every seed's report and gives the mean ± std
of every stage metric and the paired differences with / without the
selector, and :mod:`.study_files` writes ``study.md``, ``study.json`` and
``study.png``; :mod:`mmwsss.pipeline.study_readme` writes the README's
numbers from them.

This module is the study's entry point (:func:`run_study`) and keeps the
names the tools and tests import from it.
"""
import os.path as osp

from .study_aggregate import (CLAIMS, NOT_METRICS, aggregate,  # noqa: F401
                              load_report, mean_std, metric_in_percent,
                              stage_metrics)
from .study_files import build_markdown, study_chart, write_study  # noqa
from .study_seeds import (TRAINED_STAGES, report_path,  # noqa: F401
                          run_seeds, seed_cfg_options, seed_config,
                          seed_work_dir)


def run_study(config, seeds, work_dir, cfg_options=None, launcher='none',
              nproc=1, aggregate_only=False, command=None, data_stage=None,
              log=print):
    """Run every seed (unless ``aggregate_only``; ``data_stage``: the stage
    that makes the input data, see :func:`~.wsss_pipeline.run_pipeline`),
    then write the study into ``work_dir``; returns the result dict."""
    seeds = list(dict.fromkeys(int(s) for s in seeds))
    if not aggregate_only:
        run_seeds(config, seeds, work_dir, cfg_options, launcher, nproc,
                  data_stage=data_stage, command=command, log=log)
    reports = {s: report_path(work_dir, s) for s in seeds}
    missing = [p for p in reports.values() if not osp.isfile(p)]
    if missing:
        raise FileNotFoundError(f'no report for these seeds: {missing}')
    per_seed = {s: load_report(p) for s, p in reports.items()}
    return write_study(work_dir, per_seed, command, reports)
