"""The multi-seed study: the whole pipeline once per seed, then the spread.

One run on a toy cannot tell a 1-point effect from noise, so
``tools/run_study.py`` runs ``tools/run_pipeline.py`` once per seed, each
in ``<work_dir>/seed_<s>/`` with

* the toy data generated with ``data.toy.seed = s`` into
  ``<work_dir>/seed_<s>/data`` (when the config has toy data; a real
  dataset is shared), and
* ``randomness.seed = s`` for every trained stage (``classify``,
  ``saliency``, ``segment``), through the stage's ``cfg_options``.

A seed whose pipeline already finished is skipped by the pipeline runner
(its manifest), so an interrupted study resumes with the same command.

Then :func:`aggregate` reads every seed's ``report/report.json``
(``stages`` -> ``metrics``) and gives, in percent (label-stage scores are
fractions in the manifest, segmenter and classifier scores already percent;
see ``docs/report.md``):

* mean ± sample std (n - 1) of every scalar stage metric over the seeds;
* the paired differences that carry the paper's claims, per seed and as
  mean ± std: fused - expanded pseudo-labels (``select`` - ``expand`` mIoU)
  and segmenter on fused - on expanded labels (``segment_select`` -
  ``segment_expand`` mIoU), each with whether it is positive in every seed.

:func:`write_study` writes ``study.md``, ``study.json`` (with ``run``: the
machine, date and commit) and ``study.png``;
:mod:`mmwsss.pipeline.study_readme` writes the README's numbers from it.
The aggregation is numpy only; the chart uses matplotlib's Agg canvas.
"""
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np

from mmwsss.utils.io import atomic_write

from .metric_names import display_value, metric_name
from .run_info import run_info

#: repository root (``tools/run_pipeline.py`` lives there)
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
#: stages trained with mmengine: their ``randomness.seed`` is the seed
TRAINED_STAGES = ('classify', 'saliency', 'segment')
#: (key, with-selector stage, without-selector stage, what it says)
CLAIMS = (
    ('pseudo_labels', 'select', 'expand',
     'fused - expanded pseudo-labels (mIoU, points)'),
    ('segmenter', 'segment_select', 'segment_expand',
     'segmenter on fused - on expanded labels (val mIoU, points)'),
)
#: numbers in the metrics that are bookkeeping, not results
NOT_METRICS = ('data_time', 'time', 'step', 'num_images')


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


def _option_value(v):
    """A value as mmengine's DictAction reads it back."""
    if isinstance(v, (list, tuple)):
        return '[' + ','.join(map(_option_value, v)) + ']'
    return str(v)


def pipeline_command(config, seed, work_dir, cfg=None, cfg_options=None,
                     launcher='none', nproc=1):
    """``[python, tools/run_pipeline.py, ...]`` for one seed.

    Args:
        config (str): pipeline config file.
        seed (int): the seed.
        work_dir (str): the study's work dir (the seed gets a sub-folder).
        cfg (Config, optional): the loaded config with ``cfg_options``
            merged (loaded here when None).
        cfg_options (dict, optional): the user's pipeline options; the
            seed's options come after them and win.
    """
    if cfg is None:
        from mmengine.config import Config
        cfg = Config.fromfile(config)
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
    seed_dir = osp.abspath(seed_work_dir(work_dir, seed))
    opts = dict(cfg_options or {})
    opts.update(seed_cfg_options(cfg, seed, seed_dir))
    argv = [sys.executable, osp.join(REPO, 'tools', 'run_pipeline.py'),
            osp.abspath(config), '--work-dir', seed_dir]
    if launcher != 'none':
        argv += ['--launcher', launcher, '--nproc', str(nproc)]
    argv += ['--cfg-options'] + [f'{k}={_option_value(v)}'
                                 for k, v in opts.items()]
    return argv


def run_seeds(config, seeds, work_dir, cfg_options=None, launcher='none',
              nproc=1, log=print):
    """Run (or resume) the pipeline of every seed, one after the other, in
    the repository root; returns ``{seed: report.json path}``."""
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    env = dict(os.environ)
    env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
    reports = {}
    for seed in seeds:
        argv = pipeline_command(config, seed, work_dir, cfg, cfg_options,
                                launcher, nproc)
        log(f'[study] seed {seed}: $ {" ".join(argv)}')
        proc = subprocess.run(argv, cwd=REPO, env=env)
        if proc.returncode != 0:
            raise RuntimeError(
                f'the pipeline of seed {seed} failed (exit '
                f'{proc.returncode}); run the same study command again to '
                f'resume it (work dir {seed_work_dir(work_dir, seed)})')
        reports[seed] = report_path(work_dir, seed)
    return reports


def report_path(work_dir, seed):
    return osp.join(seed_work_dir(work_dir, seed), 'report', 'report.json')


# --------------------------------------------------------------------------
# aggregation (numpy only)
#: ``(value, unit)`` of one stage metric: the units of the report and the
#: console (:func:`mmwsss.pipeline.metric_names.display_value`)
metric_in_percent = display_value


def stage_metrics(report):
    """``{stage: {metric: (value, unit)}}`` of the scalar metrics of one
    ``report.json`` dict, in the study's units."""
    if not isinstance(report.get('stages'), dict):
        raise ValueError('no "stages" dict')
    out = {}
    for stage, entry in report['stages'].items():
        metrics = (entry or {}).get('metrics') or {}
        row = {}
        for key, v in metrics.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)) or \
                    key in NOT_METRICS or not np.isfinite(v):
                continue
            row[key] = metric_in_percent(stage, key, v)
        out[stage] = row
    return out


def load_report(path):
    """:func:`stage_metrics` of a ``report.json`` file, with a clear error."""
    try:
        with open(path) as f:
            report = json.load(f)
        return stage_metrics(report)
    except (OSError, ValueError) as e:
        raise ValueError(f'{path}: not a pipeline report.json ({e})') from e


def mean_std(values):
    """``(mean, sample std with n - 1)``; std is None for one value."""
    x = np.asarray(values, dtype=np.float64)
    std = float(x.std(ddof=1)) if len(x) > 1 else None
    return float(x.mean()), std


def aggregate(per_seed):
    """The study's numbers from ``{seed: stage_metrics(...)}``.

    Returns a dict with ``seeds``, ``stages`` (``{stage: {metric: dict(
    unit, per_seed, mean, std, n)}}``, a metric only where every seed has it)
    and ``claims`` (``{key: dict(description, stages, per_seed, mean, std,
    positive_in_every_seed)}``, from the mIoU in percent).
    """
    seeds = sorted(per_seed)
    if not seeds:
        raise ValueError('no seed to aggregate')
    stages = {}
    names = []
    for s in seeds:
        names += [n for n in per_seed[s] if n not in names]
    for name in names:
        keys = []
        for s in seeds:
            keys += [k for k in per_seed[s].get(name, {}) if k not in keys]
        rows = {}
        for key in keys:
            if not all(key in per_seed[s].get(name, {}) for s in seeds):
                continue  # a metric missing in a seed is not aggregated
            vals = [per_seed[s][name][key][0] for s in seeds]
            mean, std = mean_std(vals)
            rows[key] = dict(unit=per_seed[seeds[0]][name][key][1],
                             per_seed=dict(zip(map(str, seeds), vals)),
                             mean=mean, std=std, n=len(vals))
        stages[name] = rows
    claims = {}
    for key, with_sel, without_sel, text in CLAIMS:
        try:
            diffs = [per_seed[s][with_sel]['mIoU'][0] -
                     per_seed[s][without_sel]['mIoU'][0] for s in seeds]
        except KeyError:
            continue  # a stage without mIoU in some seed: no claim
        mean, std = mean_std(diffs)
        claims[key] = dict(
            description=text, stages=[with_sel, without_sel],
            per_seed=dict(zip(map(str, seeds), diffs)), mean=mean, std=std,
            n=len(diffs), positive_in_every_seed=all(d > 0 for d in diffs),
            min=min(diffs), max=max(diffs))
    return dict(seeds=seeds, stages=stages, claims=claims)


def _pm(mean, std, digits=2):
    if std is None:
        return f'{mean:.{digits}f}'
    return f'{mean:.{digits}f} ± {std:.{digits}f}'


def build_markdown(result, command=None):
    """``study.md`` from :func:`aggregate`'s result."""
    seeds = result['seeds']
    cols = ' | '.join(f'seed {s}' for s in seeds)
    lines = [f'# Study over {len(seeds)} seeds ({", ".join(map(str, seeds))})',
             '']
    if command:
        lines += ['```', command, '```', '']
    run = result.get('run')
    if run:
        lines += [f'Machine {run["machine"]}, {run["date"]}, commit '
                  f'`{run.get("commit") or "not recorded"}`.', '']
    lines += ['Scores in percent (mean ± sample standard deviation, n - 1); '
              'differences in points.', '',
              '## Does the selector help?', '',
              f'| difference | {cols} | mean ± std | holds in every seed |',
              '| --- | ' + '--- | ' * len(seeds) + '--- | --- |']
    for c in result['claims'].values():
        vals = ' | '.join(f'{c["per_seed"][str(s)]:+.2f}' for s in seeds)
        lines.append(f'| {c["description"]} | {vals} | '
                     f'{_pm(c["mean"], c["std"])} | '
                     f'{"yes" if c["positive_in_every_seed"] else "no"} |')
    lines += ['', '## Every stage', '',
              f'| stage | metric | {cols} | mean ± std |',
              '| --- | --- | ' + '--- | ' * len(seeds) + '--- |']
    for stage, rows in result['stages'].items():
        for key, r in rows.items():
            unit = f' ({r["unit"]})' if r['unit'] else ''
            digits = 2 if r['unit'] else 3
            vals = ' | '.join(f'{r["per_seed"][str(s)]:.{digits}f}'
                              for s in seeds)
            lines.append(f'| {stage} | {metric_name(key)}{unit} | {vals} | '
                         f'{_pm(r["mean"], r["std"], digits)} |')
    return '\n'.join(lines) + '\n'


def study_chart(path, result):
    """Per-seed paired differences (points), one group per claim, with the
    mean ± std as a bar and error bar; matplotlib Agg, no pyplot."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    claims = list(result['claims'].values())
    fig = Figure(figsize=(1.8 + 2.4 * max(1, len(claims)), 3.6))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    seeds = result['seeds']
    width = 0.8 / max(1, len(seeds))
    for i, c in enumerate(claims):
        ax.bar(i, c['mean'], width=0.85, color='#c6dbef', zorder=1,
               label='mean' if i == 0 else None)
        if c['std'] is not None:  # at the bar's right edge, clear of dots
            ax.errorbar(i + 0.34, c['mean'], yerr=c['std'], color='black',
                        capsize=6, zorder=2,
                        label='± std' if i == 0 else None)
        xs = i - 0.38 + 0.6 * width * (np.arange(len(seeds)) + 0.5)
        ys = [c['per_seed'][str(s)] for s in seeds]
        ax.scatter(xs, ys, color='#08519c', zorder=3,
                   label='one seed' if i == 0 else None)
        for x, y, s in zip(xs, ys, seeds):
            ax.annotate(str(s), (x, y), textcoords='offset points',
                        xytext=(0, 5), ha='center', fontsize=7)
    ax.axhline(0, color='black', linewidth=0.8)
    ax.set_xticks(range(len(claims)))
    ax.set_xticklabels(['pseudo-labels\n(select - expand)'
                        if c['stages'][0] == 'select' else
                        'segmenter\n(segment_select - segment_expand)'
                        for c in claims], fontsize=8)
    ax.set_ylabel('mIoU difference (points)')
    ax.set_title(f'With - without the selector, {len(seeds)} seeds',
                 fontsize=10)
    if claims:
        ax.legend(fontsize=8, loc='best')
    fig.tight_layout()
    with atomic_write(path) as tmp:
        fig.savefig(tmp, format='png', dpi=110)


def write_study(out_dir, per_seed, command=None, reports=None):
    """Aggregate and write ``study.md``, ``study.json``, ``study.png`` into
    ``out_dir``; returns the result dict."""
    result = aggregate(per_seed)
    result['run'] = run_info()  # machine, date, commit of the study
    if command:
        result['command'] = command
    if reports:
        result['reports'] = {str(k): osp.abspath(v)
                             for k, v in reports.items()}
    os.makedirs(out_dir, exist_ok=True)
    with atomic_write(osp.join(out_dir, 'study.json')) as tmp:
        with open(tmp, 'w') as f:
            json.dump(result, f, indent=2)
    with atomic_write(osp.join(out_dir, 'study.md')) as tmp:
        with open(tmp, 'w') as f:
            f.write(build_markdown(result, command))
    study_chart(osp.join(out_dir, 'study.png'), result)
    return result


def run_study(config, seeds, work_dir, cfg_options=None, launcher='none',
              nproc=1, aggregate_only=False, command=None, log=print):
    """Run every seed (unless ``aggregate_only``), then write the study into
    ``work_dir``; returns the result dict."""
    seeds = list(dict.fromkeys(int(s) for s in seeds))
    if not aggregate_only:
        run_seeds(config, seeds, work_dir, cfg_options, launcher, nproc, log)
    reports = {s: report_path(work_dir, s) for s in seeds}
    missing = [p for p in reports.values() if not osp.isfile(p)]
    if missing:
        raise FileNotFoundError(f'no report for these seeds: {missing}')
    per_seed = {s: load_report(p) for s, p in reports.items()}
    return write_study(work_dir, per_seed, command, reports)
