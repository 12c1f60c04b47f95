"""The seeds of the multi-seed study (:mod:`.study`): each seed's work
folder, the pipeline options that make a run that seed's, and the runs,
one after the other, in this process (:func:`~.wsss_pipeline.run_pipeline`,
from the working directory).

Seed ``s`` runs in ``<work_dir>/seed_<s>/`` with

* the toy data generated with ``data.toy.seed = s`` into
  ``<work_dir>/seed_<s>/data`` (when the config has toy data; a real
  dataset is shared), and
* ``randomness.seed = s`` for every trained network (``classify``,
  IRN's relation net of ``expand``, ``saliency``, ``segment``), through
  the stage's ``cfg_options``.

A seed whose pipeline already finished is skipped by the pipeline runner
(its manifest), so an interrupted study resumes with the same command.
"""
import os
import os.path as osp

from .wsss_pipeline import load_pipeline_config, run_pipeline

#: stages that train with mmengine (expand: when its method trains a
#: network, i.e. has a ``config``): their ``randomness.seed`` is the seed
TRAINED_STAGES = ('classify', 'expand', 'saliency', 'segment')


def seed_work_dir(work_dir, seed):
    return osp.join(work_dir, f'seed_{seed}')


def _rebase(path, old_root, new_root):
    """``path`` moved from under ``old_root`` to under ``new_root``; None
    when it is not under ``old_root``."""
    rel = osp.relpath(osp.abspath(path), osp.abspath(old_root))
    if rel == '..' or rel.startswith('..' + os.sep):
        return None
    return osp.normpath(osp.join(new_root, rel))


def seed_cfg_options(cfg, seed, seed_dir):
    """The pipeline ``--cfg-options`` of one seed, as an ordered dict.

    Args:
        cfg (Config): the pipeline config (user options already merged).
        seed (int): the seed.
        seed_dir (str): the seed's work dir.
    """
    opts = {}
    toy = (cfg.get('data') or {}).get('toy')
    if toy:
        out = osp.join(seed_dir, 'data')
        opts['data.toy.seed'] = int(seed)
        opts['data.toy.out'] = out
        for key in ('voc_root', 'duts_root'):
            moved = _rebase(cfg.data[key], toy['out'], out)
            if moved is None:
                raise ValueError(
                    f'data.{key} = {cfg.data[key]!r} is not inside '
                    f'data.toy.out = {toy["out"]!r}: the study cannot give '
                    'each seed its own toy data')
            opts[f'data.{key}'] = moved
    for stage in TRAINED_STAGES:
        if cfg.get(stage) and cfg[stage].get('config'):
            opts[f'{stage}.cfg_options.randomness.seed'] = int(seed)
    return opts


def seed_config(config, seed, work_dir, cfg_options=None):
    """The pipeline config of one seed: the file ``config`` with the
    user's ``cfg_options``, then the seed's (:func:`seed_cfg_options`, which
    win), in its work folder ``<work_dir>/seed_<s>``."""
    cfg = load_pipeline_config(config, cfg_options)
    seed_dir = osp.abspath(seed_work_dir(work_dir, seed))
    cfg.merge_from_dict(seed_cfg_options(cfg, seed, seed_dir))
    cfg.work_dir = seed_dir
    return cfg


def run_seeds(config, seeds, work_dir, cfg_options=None, launcher='none',
              nproc=1, data_stage=None, command=None, log=print):
    """Run (or resume) the pipeline of every seed, one after the other;
    returns ``{seed: report.json path}``. ``data_stage``: the stage that
    makes the input data (:func:`~.wsss_pipeline.run_pipeline`); ``command``
    (the study's) is recorded in each seed's report."""
    reports = {}
    for seed in seeds:
        cfg = seed_config(config, seed, work_dir, cfg_options)
        log(f'[study] seed {seed}: {cfg.work_dir}')
        try:
            run_pipeline(cfg, nproc=nproc if launcher != 'none' else 1,
                         data_stage=data_stage, config=osp.abspath(config),
                         command=f'{command} (seed {seed})' if command
                         else None, log=log)
        except RuntimeError as e:
            raise RuntimeError(
                f'the pipeline of seed {seed} failed ({e}); run the same '
                'study command again to resume it (work dir '
                f'{seed_work_dir(work_dir, seed)})') from e
        reports[seed] = report_path(work_dir, seed)
    return reports


def report_path(work_dir, seed):
    return osp.join(seed_work_dir(work_dir, seed), 'report', 'report.json')
