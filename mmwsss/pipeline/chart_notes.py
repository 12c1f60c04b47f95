"""One sentence under each report chart, saying what it shows on this run.

Each function takes the numbers the chart was drawn from (fractions in
[0, 1], as the charts take them) and returns plain text; the sentences
state what the numbers show, not what they should show.
"""
import numpy as np


def _p(v):
    return f'{100 * v:.1f} %'


def per_class_note(classes, before, after):
    """Which classes the selector raised or lowered, and the extremes."""
    diffs = [(100 * (a - b), c) for c, b, a in zip(classes, before, after)
             if a is not None and b is not None]
    if not diffs:
        return 'No class has an IoU both before and after the selector.'
    up = [d for d in diffs if d[0] > 0.05]
    down = [d for d in diffs if d[0] < -0.05]
    text = (f'The selector raised the IoU of {len(up)} of {len(diffs)} '
            f'classes and lowered it for {len(down)}')
    if up:
        d, c = max(up)
        text += f'; largest gain: {c} ({d:+.1f} points)'
    if down:
        d, c = min(down)
        text += f'; largest loss: {c} ({d:+.1f} points)'
    return text + '. Classes it never changes (multi-class images only, ' \
        'or never replaced) keep their IoU.'


def alpha_sweep_note(alphas, miou, alpha_star=None, hard=None):
    """The best selection threshold against the input labels and the two
    rules (alpha = 1 keeps every label, alpha = 0 replaces every
    single-class region that has saliency)."""
    alphas, miou = list(alphas), list(miou)
    k = int(np.argmax(miou))
    text = f'Best fixed threshold α = {alphas[k]:g}: {_p(miou[k])}'
    if 1.0 in alphas:
        text += f'; the expanded labels (α = 1): {_p(miou[alphas.index(1.0)])}'
    rules = {n: v for n, v in (('α* rule', alpha_star),
                               ('hard rule', hard)) if v is not None}
    if rules:
        text += '; ' + ', '.join(f'{n} {_p(v)}' for n, v in rules.items())
    text += '.'
    if rules and miou[k] > max(rules.values()):
        best_rule = max(rules, key=rules.get)
        text += (f' A fixed threshold beats both rules here, by '
                 f'{100 * (miou[k] - rules[best_rule]):.1f} points over the '
                 f'{best_rule}')
        if alphas[k] == min(alphas):
            text += (': replacing every single-class region by its saliency '
                     'mask scores best, so on this data the saliency mask is '
                     'the better label for most single-class images, and '
                     'the rules lose where they keep the CAM label')
        text += '.'
    elif rules:
        best_rule = max(rules, key=rules.get)
        text += (f' The {best_rule} is at least as good as every fixed '
                 'threshold.')
    return text


def blend_sweep_note(weights, miou):
    weights, miou = list(weights), list(miou)
    k = int(np.argmax(miou))
    text = f'Best blend weight w = {weights[k]:g}: {_p(miou[k])}'
    if 0.0 in weights:
        text += f'; w = 0 (the expanded labels): {_p(miou[weights.index(0.0)])}'
    return text + '.'


def cam_sweep_note(thresholds, miou, best, extended=None):
    """The best threshold, the range swept, and whether the best sits on
    the edge of the grid (and whether the grid was extended)."""
    thresholds, miou = list(thresholds), list(miou)
    k = int(np.argmax(miou)) if best is None else \
        int(np.argmin(np.abs(np.asarray(thresholds) - best)))
    text = (f'Best background threshold {thresholds[k]:.2f}: CAM mIoU '
            f'{_p(miou[k])}; swept {min(thresholds):.2f} to '
            f'{max(thresholds):.2f}.')
    if extended:
        text += (' The default grid was extended ('
                 + ', '.join(f'{t:.2f}' for t in sorted(extended))
                 + ') because its best value sat on its edge.')
    if thresholds[k] in (min(thresholds), max(thresholds)):
        text += (' The best value is still on the edge of the sweep: a '
                 'threshold beyond it may score higher.')
    else:
        text += ' The best value lies inside the sweep.'
    return text
