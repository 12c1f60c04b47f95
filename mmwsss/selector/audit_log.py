"""The selector's per-image audit trail: one CSV row per image.

Columns (:data:`LOG_FIELDS`): ``id``, ``class`` (label value c, empty when
the image is not single-class), ``class_name``, ``iou`` (o), ``n_c``,
``salient``, ``alpha`` (the saliency weight applied: alpha* or the fixed
weight in soft mode; 1 / 0 for replaced / kept in hard and threshold
mode), ``decision``
(see :data:`~mmwsss.selector.selector_core.DECISIONS`) and ``changed``
(pixels whose label changed). Numbers not evaluated are left empty.
"""
import csv
import io
import math
from collections import Counter

LOG_FIELDS = ('id', 'class', 'class_name', 'iou', 'n_c', 'salient', 'alpha',
              'decision', 'changed')


def _num(value, digits=4):
    if value is None:
        return ''
    value = float(value)
    return '' if math.isnan(value) else f'{value:.{digits}f}'


def decision_row(decision, class_names=None):
    """A decision dict (from ``select_and_fuse``) as a list of CSV fields."""
    c = decision.get('class', -1)
    has_class = c is not None and c > 0
    name = ''
    if has_class and class_names is not None and c - 1 < len(class_names):
        name = class_names[c - 1]
    salient = decision.get('salient')
    return [
        decision.get('id') or '',
        str(c) if has_class else '',
        name,
        _num(decision.get('iou')),
        _num(decision.get('n_c')),
        '' if salient is None else str(int(bool(salient))),
        _num(decision.get('alpha')),
        decision.get('decision') or '',
        str(int(decision.get('changed', 0))),
    ]


def format_row(fields):
    """One CSV line (with newline) for a list of fields."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator='\n').writerow(fields)
    return buf.getvalue()


def header_line():
    return format_row(LOG_FIELDS)


def read_rows(path, has_header=True):
    """Rows of a log file as dicts keyed by :data:`LOG_FIELDS`; a truncated
    last line (an interrupted write) is skipped."""
    rows = []
    with open(path, newline='') as f:
        reader = csv.reader(f)
        for i, fields in enumerate(reader):
            if has_header and i == 0:
                if tuple(fields) != LOG_FIELDS:
                    raise ValueError(f'{path}: not a selector log (header '
                                     f'{fields})')
                continue
            if len(fields) != len(LOG_FIELDS):
                continue
            rows.append(dict(zip(LOG_FIELDS, fields)))
    return rows


#: the decisions that change a label (hard rule: replaced, soft: fused)
CHANGING_DECISIONS = ('replaced', 'fused')


def label_changed(row):
    """Whether the selector changed the label of this log row's image."""
    return row['decision'] in CHANGING_DECISIONS


def summarize(rows):
    """Counts of decisions: ``{'decision': Counter, 'replaced_by_class':
    Counter}`` from rows (dicts with ``decision`` and ``class_name`` or
    ``class``)."""
    decisions = Counter(r['decision'] for r in rows)
    changed = Counter((r.get('class_name') or r.get('class'))
                      for r in rows if label_changed(r))
    return dict(decision=decisions, replaced_by_class=changed)
