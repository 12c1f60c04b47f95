"""The confusion matrix of label maps against the GT, as CSV and PNG.

Rows are the GT classes, columns the predicted ones (pixel counts summed
over a split by :func:`mmwsss.evaluation.functional.label_eval.
evaluate_labels`). The CSV holds the counts; the picture each GT row in
percent of its pixels (where the pixels of a class went), with the class
names on both axes. The chart uses matplotlib's Agg canvas, no pyplot.
"""
import csv

import numpy as np

from mmwsss.utils.io import atomic_write

#: the extra column of pixels assigned to no class (``pred_ignore='wrong'``)
UNASSIGNED = 'unassigned (255)'


def trim(cm, names):
    """``(matrix, column names)``: the unassigned column kept only when it
    holds pixels."""
    cm = np.asarray(cm, dtype=np.int64)
    cols = list(names)
    if cm.shape[1] == len(names) + 1:
        if cm[:, -1].any():
            cols.append(UNASSIGNED)
        else:
            cm = cm[:, :-1]
    if cm.shape[0] != len(names) or cm.shape[1] != len(cols):
        raise ValueError(f'a {cm.shape} confusion matrix for {len(names)} '
                         'class names')
    return cm, cols


def row_percent(cm):
    """Each row in percent of its sum (NaN for a class with no GT pixel)."""
    cm = np.asarray(cm, dtype=np.float64)
    total = cm.sum(1, keepdims=True)
    with np.errstate(divide='ignore', invalid='ignore'):
        return np.where(total > 0, 100.0 * cm / total, np.nan)


def write_csv(path, cm, names):
    """Counts with a header row (``gt \\ pred``, column names) and one row
    per GT class."""
    cm, cols = trim(cm, names)
    with atomic_write(path) as tmp:
        with open(tmp, 'w', newline='') as f:
            w = csv.writer(f)
            w.writerow(['gt \\ pred', *cols])
            for name, row in zip(names, cm):
                w.writerow([name, *map(int, row)])
    return path


def write_png(path, cm, names, title=None):
    """The row-normalised matrix as a heat map with the percentages
    written in the cells (below 0.5 % left blank)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    cm, cols = trim(cm, names)
    pct = row_percent(cm)
    n, m = pct.shape
    size = 1.6 + 0.45 * max(n, m)
    fig = Figure(figsize=(size + 1.2, size))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    im = ax.imshow(np.nan_to_num(pct), cmap='Blues', vmin=0, vmax=100)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04,
                 label='% of the GT class\'s pixels')
    for i in range(n):
        for j in range(m):
            v = pct[i, j]
            if np.isfinite(v) and v >= 0.5:
                ax.text(j, i, f'{v:.0f}', ha='center', va='center',
                        fontsize=7, color='white' if v > 55 else 'black')
    ax.set_xticks(range(m), cols, rotation=45, ha='right', fontsize=8)
    ax.set_yticks(range(n), names, fontsize=8)
    ax.set_xlabel('predicted')
    ax.set_ylabel('ground truth')
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    with atomic_write(path) as tmp:
        fig.savefig(tmp, format='png', dpi=110)
    return path
