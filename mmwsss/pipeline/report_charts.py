"""The charts of the pipeline report, as plain functions on dicts/arrays.

Each function draws one PNG with matplotlib's Agg canvas (no pyplot, no
display, no global backend switch) and writes it atomically. Values are
given as fractions in [0, 1] and drawn in percent.
"""
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from mmwsss.utils.io import atomic_write

#: colours of "before" / "after" the selector, and of reference lines
BEFORE, AFTER, REFERENCE = '#8c8c8c', '#1f77b4', '#d62728'


def _save(fig, path):
    FigureCanvasAgg(fig)
    fig.tight_layout()
    with atomic_write(path) as tmp:
        fig.savefig(tmp, format='png', dpi=100)
    return path


def _pct(values):
    return np.array([np.nan if v is None else 100.0 * v for v in values],
                    dtype=np.float64)


def per_class_iou_chart(path, class_names, before, after,
                        labels=('expanded labels', 'fused labels'),
                        title='Per-class IoU of the pseudo-labels'):
    """Grouped bars: IoU per class before and after the selector.

    Args:
        path (str): the PNG to write.
        class_names (sequence[str]): the bars' classes.
        before, after (sequence[float | None]): IoU in [0, 1] per class
            (``None`` where undefined: drawn as no bar).
    """
    if not len(class_names) == len(before) == len(after):
        raise ValueError(f'{len(class_names)} classes but {len(before)} / '
                         f'{len(after)} IoU values')
    b, a = _pct(before), _pct(after)
    x = np.arange(len(class_names))
    fig = Figure(figsize=(max(6.0, 0.9 * len(class_names) + 2), 3.6))
    ax = fig.add_subplot()
    w = 0.4
    ax.bar(x - w / 2, np.nan_to_num(b), w, color=BEFORE, label=labels[0])
    ax.bar(x + w / 2, np.nan_to_num(a), w, color=AFTER, label=labels[1])
    for xi, bi, ai in zip(x, b, a):
        if not (np.isnan(bi) or np.isnan(ai)):
            ax.annotate(f'{ai - bi:+.1f}', (xi + w / 2, ai), ha='center',
                        va='bottom', fontsize=8, xytext=(0, 2),
                        textcoords='offset points')
    ax.set_xticks(x, list(class_names), rotation=30 if len(x) > 8 else 0,
                  ha='right' if len(x) > 8 else 'center')
    ax.set_ylabel('IoU (%)')
    ax.set_ylim(0, 105)
    ax.set_title(title)
    ax.legend(loc='upper right', fontsize=8)
    ax.grid(axis='y', alpha=0.3)
    return _save(fig, path)


def alpha_sweep_chart(path, alphas, miou, alpha_star=None, hard=None,
                      paper=None,
                      title='Selection threshold alpha (paper Table 3)'):
    """mIoU of the pseudo-labels against the selection threshold alpha (a
    single-class region is replaced by the saliency mask when
    IoU(P_CAM, P_S) >= alpha), with the alpha* rule and Algorithm 1 as
    horizontal reference lines and the paper's Table 3 beside.

    Args:
        alphas, miou (sequence[float]): the threshold rows (mIoU in
            [0, 1]); ``alpha = 1`` is the input labels.
        alpha_star, hard (float, optional): mIoU of the alpha* rule and of
            Algorithm 1.
        paper (tuple, optional): ``(alphas, mIoU)`` of the paper's Table 3
            (fractions), drawn on a second axis (other data, other scale).
    """
    if len(alphas) != len(miou) or not len(alphas):
        raise ValueError(f'{len(alphas)} alphas but {len(miou)} mIoU values')
    fig = Figure(figsize=(6.0, 3.6))
    ax = fig.add_subplot()
    ax.plot(alphas, _pct(miou), 'o-', color=AFTER, label='this run')
    if alpha_star is not None:
        ax.axhline(100 * alpha_star, color=REFERENCE, ls='--',
                   label=f'alpha* rule ({100 * alpha_star:.1f})')
    if hard is not None:
        ax.axhline(100 * hard, color='#2ca02c', ls=':',
                   label=f'Algorithm 1, hard ({100 * hard:.1f})')
    handles, labels = ax.get_legend_handles_labels()
    if paper is not None:
        ax2 = ax.twinx()
        line, = ax2.plot(paper[0], _pct(paper[1]), 's--', color=BEFORE,
                         label='paper Table 3 (right axis)')
        ax2.set_ylabel('paper mIoU (%)')
        handles.append(line)
        labels.append(line.get_label())
    ax.set_xlabel('selection threshold alpha (0 = every region replaced, '
                  '1 = expanded labels)')
    ax.set_ylabel('pseudo-label mIoU (%)')
    ax.set_title(title)
    ax.legend(handles, labels, fontsize=8)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def blend_sweep_chart(path, weights, miou,
                      title='Fixed blend weight (soft mode; not the '
                      "paper's Table 3)"):
    """mIoU of the pseudo-labels against one fixed blend weight ``w`` for
    every single-class image: new region ``(1 - w) * CAM + w * S >=
    fuse_thr``; ``w = 0`` is the input labels."""
    if len(weights) != len(miou) or not len(weights):
        raise ValueError(f'{len(weights)} weights but {len(miou)} mIoU '
                         'values')
    fig = Figure(figsize=(6.0, 3.6))
    ax = fig.add_subplot()
    ax.plot(weights, _pct(miou), 'o-', color=AFTER)
    ax.set_xlabel('blend weight w (0 = expanded labels, 1 = saliency only)')
    ax.set_ylabel('pseudo-label mIoU (%)')
    ax.set_title(title)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def threshold_sweep_chart(path, thresholds, miou, best=None,
                          title='CAM background threshold'):
    """CAM mIoU against the background threshold, the best one marked.

    Args:
        thresholds, miou (sequence[float]): the sweep (mIoU in [0, 1]).
        best (float, optional): the chosen threshold.
    """
    if len(thresholds) != len(miou) or not len(thresholds):
        raise ValueError(f'{len(thresholds)} thresholds but {len(miou)} '
                         'mIoU values')
    m = _pct(miou)
    fig = Figure(figsize=(6.0, 3.6))
    ax = fig.add_subplot()
    ax.plot(thresholds, m, 'o-', color=AFTER)
    if best is not None:
        k = int(np.argmin(np.abs(np.asarray(thresholds) - best)))
        ax.axvline(best, color=REFERENCE, ls='--',
                   label=f'best {best:.2f}: {m[k]:.1f} %')
        ax.legend(fontsize=8)
    ax.set_xlabel('background threshold')
    ax.set_ylabel('CAM mIoU (%)')
    ax.set_title(title)
    ax.grid(alpha=0.3)
    return _save(fig, path)
