"""The files of the multi-seed study (:mod:`.study`): ``study.md``,
``study.json`` (with ``run``: the machine, date and commit) and
``study.png`` (the paired differences; matplotlib's Agg canvas, no
pyplot)."""
import json
import os
import os.path as osp

import numpy as np

from mmwsss.utils.io import atomic_write

from .metric_names import metric_name
from .run_info import run_info
from .study_aggregate import aggregate


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
