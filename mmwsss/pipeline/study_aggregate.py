"""The numbers of the multi-seed study (:mod:`.study`), numpy only.

:func:`aggregate` reads every seed's ``report/report.json`` (``stages`` ->
``metrics``, :func:`load_report`) and gives, in percent (label-stage
scores are fractions in the manifest, segmenter and classifier scores
already percent; see ``docs/report.md``):

* mean ± sample std (n - 1) of every scalar stage metric over the seeds;
* the paired differences that carry the paper's claims, per seed and as
  mean ± std: fused - expanded pseudo-labels (``select`` - ``expand`` mIoU)
  and segmenter on fused - on expanded labels (``segment_select`` -
  ``segment_expand`` mIoU), each with whether it is positive in every seed.
"""
import json

import numpy as np

from .metric_names import display_value

#: (key, with-selector stage, without-selector stage, what it says)
CLAIMS = (
    ('pseudo_labels', 'select', 'expand',
     'fused - expanded pseudo-labels (mIoU, points)'),
    ('segmenter', 'segment_select', 'segment_expand',
     'segmenter on fused - on expanded labels (val mIoU, points)'),
)
#: numbers in the metrics that are bookkeeping, not results
NOT_METRICS = ('data_time', 'time', 'step', 'num_images')

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
