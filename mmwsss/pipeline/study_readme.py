"""The README's numbers, written from a study folder (no training).

``tools/run_study.py ... --readme README.md`` (after a study) or
``tools/run_study.py --render-only --work-dir DIR --readme README.md``
(from a finished study's ``study.json``) replaces the text between
:data:`BEGIN` and :data:`END` in the README by :func:`readme_block`: the
headline metrics of every seed with mean ± std and range, the paired
differences stated as what holds in every seed, with the seed range, and
where the numbers came from (command, machine, date, commit). Nothing
outside the markers is touched.

The machine, date and commit are those recorded by the study in
``study.json`` (``run``); a study written before they were recorded gets
the rendering machine's CPU and the reports' dates, marked as such.
"""
import datetime
import json
import os.path as osp

from mmwsss.utils.io import atomic_write

from .run_info import run_info

BEGIN = '<!-- study:begin -->'
END = '<!-- study:end -->'

#: the README table's rows: (stage, metric, stage label, metric label)
README_ROWS = (
    ('classify', 'multi-label/mAP', '1 classify', 'val mAP (%)'),
    ('cam', 'mIoU', '2 cam', 'mIoU at the best threshold (%)'),
    ('cam', 'best_threshold', '2 cam', 'best background threshold'),
    ('expand', 'mIoU', '3 expand', 'pseudo-label mIoU (%)'),
    ('saliency', 'MAE', '4 saliency', 'SOD val MAE (%)'),
    ('saliency', 'maxFm', '4 saliency', 'SOD val max F (%)'),
    ('select', 'mIoU', '5 select', 'fused pseudo-label mIoU (%)'),
    ('segment_expand', 'mIoU', '6 segment on expanded labels',
     'val mIoU (%)'),
    ('segment_select', 'mIoU', '6 segment on fused labels', 'val mIoU (%)'),
)
#: what the paired differences say, in words
CLAIM_WORDS = dict(
    pseudo_labels='the selector raises the pseudo-label mIoU',
    segmenter='the segmenter trained on the fused labels beats the one '
    'trained on the expanded labels (val mIoU)')
#: an observation across machines (issue 22 of this project: the same
#: code and seed on two CPUs), quoted, not measured by the study
CROSS_MACHINE = (
    'Absolute numbers also move between CPUs, with the same code and seed: '
    'with an earlier toy pipeline (ResNet-18 classifier trained from '
    "scratch), seed 0's segmenter on expanded labels read 47.4 on one "
    'machine and 40.0 on another (7.4 points; its classifier mAP 95.5 and '
    '97.6). A '
    'demo run elsewhere reproduces the seed-0 column only on the same CPU '
    'model and thread settings; compare differences, not absolute numbers.')


def _fmt(value, unit):
    return f'{value:.1f}' if unit else f'{value:.2f}'


def _seed_range(seeds):
    seeds = sorted(seeds)
    if seeds == list(range(seeds[0], seeds[-1] + 1)) and len(seeds) > 2:
        return f'seeds {seeds[0]}–{seeds[-1]}'
    return ('seed ' if len(seeds) == 1 else 'seeds ') + \
        ', '.join(map(str, seeds))


def _selector_counts(report_path):
    """``(replaced, single-class)`` image counts of one seed's report, or
    None."""
    try:
        with open(report_path) as f:
            per_class = json.load(f).get('selector_per_class') or {}
    except (OSError, ValueError):
        return None
    if not per_class:
        return None
    return (sum(v['replaced'] for v in per_class.values()),
            sum(v['single'] for v in per_class.values()))


def _pipeline_seconds(seed_dir):
    """Wall seconds of one seed's pipeline from its manifest (first start
    to last end), or None."""
    try:
        with open(osp.join(seed_dir, 'manifest.json')) as f:
            stages = json.load(f)['stages'].values()
        spans = [(s['started'], s['started'] + s['seconds'])
                 for s in stages if s.get('started') and s.get('seconds')]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not spans:
        return None
    return max(e for _, e in spans) - min(s for s, _ in spans)


def _provenance(result, study_dir):
    """``(run info dict, note)``: the study's record, or (older studies)
    the rendering machine and the newest report's date."""
    if result.get('run'):
        return result['run'], ''
    info = run_info()
    dates = [osp.getmtime(p) for p in (result.get('reports') or {}).values()
             if osp.isfile(p)]
    if dates:
        info['date'] = datetime.datetime.fromtimestamp(
            max(dates), datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')
    info['commit'] = None
    return info, (' (not recorded by this study: the machine is the one '
                  'that rendered this block, the date that of the newest '
                  'report)')


def readme_block(result, study_dir):
    """The README text between the markers, markers included."""
    seeds = result['seeds']
    info, note = _provenance(result, study_dir)
    command = result.get('command', 'python tools/run_study.py ...')
    commit = info.get('commit') or 'not recorded'
    threads = info.get('threads')
    lines = [
        BEGIN,
        '<!-- Generated by tools/run_study.py (--readme / --render-only) from '
        'study.json; do not edit by hand: rerun it. -->',
        '',
        f'*Generated from the study `{command}`: machine {info["machine"]}'
        + (f', OMP_NUM_THREADS={threads}' if threads else '')
        + f'; date {info["date"]}; commit `{commit}`; '
        f'{_seed_range(seeds)}{note}.*',
        '']
    cols = ' | '.join(f'seed {s}' for s in seeds)
    lines += [f'| stage | metric | {cols} | mean ± std | min – max |',
              '| --- | --- | ' + '--- | ' * len(seeds) + '--- | --- |']
    for stage, key, stage_label, label in README_ROWS:
        r = result['stages'].get(stage, {}).get(key)
        if r is None:
            continue
        vals = [r['per_seed'][str(s)] for s in seeds]
        u = r['unit']
        pm = _fmt(r['mean'], u) + ('' if r['std'] is None else
                                   f' ± {_fmt(r["std"], u)}')
        lines.append(
            f'| {stage_label} | {label} | '
            + ' | '.join(_fmt(v, u) for v in vals)
            + f' | {pm} | {_fmt(min(vals), u)} – {_fmt(max(vals), u)} |')
    lines.append('')
    claims = result.get('claims') or {}
    held, not_held = [], []
    for key, c in claims.items():
        words = CLAIM_WORDS.get(key, c['description'])
        per = ', '.join(f'{c["per_seed"][str(s)]:+.2f}' for s in seeds)
        spread = '' if c['std'] is None else f' ± {c["std"]:.2f}'
        if c['positive_in_every_seed']:
            held.append(f'{words} by {c["min"]:+.2f} to {c["max"]:+.2f} '
                        f'points (per seed {per}; mean {c["mean"]:+.2f}'
                        f'{spread})')
        else:
            not_held.append(f'{words}: per seed {per} points (mean '
                            f'{c["mean"]:+.2f}{spread})')
    rng = _seed_range(seeds)
    if held:
        lines.append(f'**What holds in every seed ({rng}):** '
                     + '; '.join(held) + '.')
    if not_held:
        if held:
            lines.append('')
        lines.append(f'**Not in every seed ({rng}), so not claimed:** '
                     + '; '.join(not_held) + '.')
    spreads = [max(r['per_seed'].values()) - min(r['per_seed'].values())
               for stage, key, _, _ in README_ROWS
               for r in [result['stages'].get(stage, {}).get(key)]
               if r is not None and r['unit'] and key == 'mIoU']
    if spreads and len(seeds) > 1:
        lines += ['', f'Between seeds the mIoUs above move by '
                  f'{min(spreads):.1f} to {max(spreads):.1f} points '
                  f'(max − min per row). {CROSS_MACHINE}']
    else:
        lines += ['', CROSS_MACHINE]
    reports = {}
    for s in seeds:  # as recorded, else where the study folder is now
        recorded = (result.get('reports') or {}).get(str(s))
        reports[str(s)] = recorded if recorded and osp.isfile(recorded) \
            else osp.join(study_dir, f'seed_{s}', 'report', 'report.json')
    counts = {s: _selector_counts(reports.get(str(s), '')) for s in seeds}
    if all(counts.values()):
        lines += ['', 'The selector changed the label of '
                  + ', '.join(f'{counts[s][0]} of {counts[s][1]}'
                              for s in seeds)
                  + ' single-class images (' + ', '.join(
                      f'seed {s}' for s in seeds) + ').']
    secs = {s: _pipeline_seconds(osp.dirname(osp.dirname(reports[str(s)])))
            for s in seeds}
    if all(secs.values()):
        lines += ['', 'Pipeline wall time per seed (from the manifests, '
                  'installation not included): ' + ', '.join(
                      f'{secs[s] / 60:.1f} min' for s in seeds) + '.']
    lines.append(END)
    return '\n'.join(lines)


def replace_block(text, block, where='README'):
    """``text`` with the part between the markers replaced by ``block``."""
    begin, end = text.find(BEGIN), text.find(END)
    if begin < 0 or end < 0 or end < begin:
        raise ValueError(f'{where}: no {BEGIN} ... {END} block to replace; '
                         'put the two marker lines where the study\'s '
                         'numbers go')
    if text.count(BEGIN) != 1 or text.count(END) != 1:
        raise ValueError(f'{where}: the markers {BEGIN} / {END} appear more '
                         'than once')
    return text[:begin] + block + text[end + len(END):]


def load_study(study_dir):
    """``study.json`` of a study folder, with a clear error."""
    path = osp.join(study_dir, 'study.json')
    try:
        with open(path) as f:
            result = json.load(f)
    except (OSError, ValueError) as e:
        raise ValueError(f'{path}: cannot read the study ({e}); run '
                         'tools/run_study.py first') from e
    for key in ('seeds', 'stages', 'claims'):
        if key not in result:
            raise ValueError(f'{path}: not a study.json (no "{key}")')
    return result


def render_readme(study_dir, readme, result=None):
    """Write the study's block into ``readme``; returns the block."""
    if result is None:
        result = load_study(study_dir)
    try:
        with open(readme, encoding='utf-8') as f:
            text = f.read()
    except OSError as e:
        raise ValueError(f'{readme}: cannot read it ({e})') from e
    block = readme_block(result, study_dir)
    new = replace_block(text, block, readme)
    with atomic_write(readme) as tmp:
        with open(tmp, 'w', encoding='utf-8') as f:
            f.write(new)
    return block
