"""The selector sweeps' result (:mod:`mmwsss.selector.sweep`) as Markdown
tables, and the shape of its Table 3 curve."""
import numpy as np

from .sweep import METRICS

def _pct(x):
    return '-' if x is None or np.isnan(x) else f'{100 * x:.2f}%'


def format_markdown(result):
    """The sweeps as Markdown: Table 3 analogue (with the paper's numbers
    beside), the blend weights, the tau gate and, when present, Table 4."""
    s = result.get('settings') or {}
    sw = result['sweep_settings']
    title = f"{s.get('split', 'split')} ({result['num_images']} images, " \
        f"{result['num_classes']} classes incl. background)"
    lines = [
        f'# Selector sweeps: {title}', '',
        f"Predicted 255 counted as: {sw['pred_ignore']}. Rules: t0="
        f"{sw['t0']:g}, t1={sw['t1']:g}, salience_thr={sw['salience_thr']:g}, "
        f"sal_mask_thr={sw['sal_mask_thr']:g}, alpha*={sw['alpha_star']}, "
        f"tau={sw['tau']:g}, fuse_thr={sw['fuse_thr']:g}. "
        "Soft-mode CAM source: "
        f"{s.get('cam_source', '-')}.", '',
        '## Table 3 analogue: selection threshold alpha', '',
        'A single-class region is replaced by the saliency mask when '
        'IoU(P_CAM, P_S) >= alpha; alpha = 1 is the expanded labels '
        'unchanged, alpha = 0 replaces every region with non-empty '
        'saliency. The paper\'s columns are its Table 3 (RS+EPM labels on '
        'VOC train), for the shape only.', '',
        '| Alpha | Acc | Acc_class | mIoU | fwIoU | replaced images | '
        'paper mIoU | paper Acc |',
        '| --- | --- | --- | --- | --- | --- | --- | --- |'
    ]
    for row in result['table3']:
        p = row.get('paper') or {}
        lines.append(f"| {row['name']} | " + ' | '.join(
            _pct(row[m]) for m in METRICS) + f" | {row['changed_images']} | "
            f"{_pct(p.get('mIoU'))} | {_pct(p.get('Acc'))} |")
    lines += ['', '## Blend weight (soft mode with one fixed weight; not '
              'the paper\'s Table 3)', '',
              'New region: (1 - w) * CAM_c + w * S >= fuse_thr. w = 0 is the '
              'input labels.', '',
              '| weight | Acc | Acc_class | mIoU | fwIoU | fused images |',
              '| --- | --- | --- | --- | --- | --- |']
    for row in result['blend']:
        lines.append(f"| {row['name']} | " + ' | '.join(
            _pct(row[m]) for m in METRICS) + f" | {row['changed_images']} |")
    lines += ['', f"## The gate tau of alpha* ({sw['alpha_star']})", '',
              '| tau | Acc | Acc_class | mIoU | fwIoU | fused images | '
              '0 < alpha* < 1 | mean alpha* |',
              '| --- | --- | --- | --- | --- | --- | --- | --- |']
    for row in result['tau']:
        mean = '-' if row['mean_alpha'] is None else \
            f"{row['mean_alpha']:.3f}"
        lines.append(f"| {row['tau']:g} | " + ' | '.join(
            _pct(row[m]) for m in METRICS) +
            f" | {row['fused_images']} | {row['fractional_images']} | "
            f"{mean} |")
    if result.get('table4'):
        lines += ['', f"## Table 4: before / after the selector "
                  f"({s.get('mode', '-')} mode)", '',
                  '| Method | SOD | Acc | Acc_class | mIoU | fwIoU |',
                  '| --- | --- | --- | --- | --- | --- |']
        for row in result['table4']:
            lines.append(f"| {row['method']} | "
                         f"{'✓' if row['sod'] else '×'} | " +
                         ' | '.join(_pct(row[m]) for m in METRICS) + ' |')
    return '\n'.join(lines) + '\n'


def table3_shape(result, metric='mIoU', tol=0.0):
    """How the threshold sweep's curve compares with the paper's shape:
    a dict with ``rises_from_0`` (some alpha in (0, 1) beats alpha = 0),
    ``peak_inside`` (the best alpha lies strictly inside (0, 1)),
    ``baseline_at_1`` (alpha = 1 equals the input labels) and ``peak``
    (the best alpha and its score). ``tol`` is the margin a difference
    must exceed."""
    rows = [r for r in result['table3'] if r.get('alpha') is not None]
    by_alpha = {r['alpha']: r[metric] for r in rows}
    inner = {a: v for a, v in by_alpha.items() if 0.0 < a < 1.0}
    best = max(by_alpha, key=lambda a: by_alpha[a])
    base = result['baseline'][metric]
    out = dict(peak=dict(alpha=best, value=by_alpha[best]))
    if 0.0 in by_alpha and inner:
        out['rises_from_0'] = max(inner.values()) > by_alpha[0.0] + tol
    if inner:
        out['peak_inside'] = 0.0 < best < 1.0 and all(
            by_alpha[best] > by_alpha[e] + tol
            for e in (0.0, 1.0) if e in by_alpha)
    if 1.0 in by_alpha:
        out['baseline_at_1'] = abs(by_alpha[1.0] - base) <= 1e-12
    return out
