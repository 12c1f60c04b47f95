"""The selector's per-image audit trail: one CSV row per image.

Columns (:data:`LOG_FIELDS`): ``id``, ``class`` (label value c, empty when
the image is not single-class), ``class_name``, ``iou`` (o), ``n_c``,
``salient``, ``alpha`` (the saliency weight applied: alpha* or the fixed
weight in soft mode; 1 / 0 for replaced / kept in hard and threshold
mode), ``decision``
(see :data:`~mmwsss.selector.selector_core.DECISIONS`) and ``changed``
(pixels whose label changed). Numbers not evaluated are left empty.

While a fusion runs, each rank appends its rows to a journal
(:func:`journal_path`, :class:`Journal`: one ``write`` per row on an
``O_APPEND`` descriptor opened once per process, so the lines of parallel
workers do not interleave and finished rows survive a kill);
:func:`merge_journals` writes the final
CSV in split order and removes the journals.
"""
import csv
import io
import math
import os
import threading
from collections import Counter
from glob import escape, glob

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


_WRITER = threading.local()


def format_row(fields):
    """One CSV line (with newline) for a list of fields (one CSV writer
    per thread, reused)."""
    state = getattr(_WRITER, 'state', None)
    if state is None:
        buf = io.StringIO()
        state = _WRITER.state = buf, csv.writer(buf, lineterminator='\n')
    buf, writer = state
    buf.seek(0)
    buf.truncate()
    writer.writerow(fields)
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


def journal_path(log_path, rank):
    """The journal of ``rank`` beside the log ``log_path``."""
    return f'{log_path}.rank{rank}.journal'


def find_journals(log_path):
    """The journals of every rank of ``log_path``, sorted."""
    return sorted(glob(f'{escape(log_path)}.rank*.journal'))


class Journal:
    """A rank's journal, appended to row by row: one ``write`` per row on an
    ``O_APPEND`` descriptor opened once per process (forked workers open
    their own), so finished rows survive a kill and parallel workers'
    lines do not interleave."""

    def __init__(self, path):
        self.path = path
        self._fd = self._pid = None

    def append(self, fields):
        """Append one row (a list of fields, :func:`decision_row`)."""
        if self._pid != os.getpid():
            self._fd = os.open(self.path,
                               os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            self._pid = os.getpid()
        os.write(self._fd, format_row(fields).encode())

    def close(self):
        if self._fd is not None and self._pid == os.getpid():
            os.close(self._fd)
        self._fd = self._pid = None


def append_row(journal, fields):
    """Append one row (a list of fields, :func:`decision_row`) to a journal
    with a single ``write`` on an ``O_APPEND`` descriptor."""
    fd = os.open(journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, format_row(fields).encode())
    finally:
        os.close(fd)


def merge_journals(log_path, ids, journals, recompute, keep_log=True):
    """Write the log ``log_path`` with one row per id of ``ids`` in that
    order, from the rows of ``journals`` and (``keep_log``) of an existing
    log; the rows missing from all of them come from ``recompute(id)`` (a
    list of fields). Removes the journals; returns the number of recomputed
    rows. The log is replaced atomically."""
    from mmwsss.utils.io import atomic_write
    rows = {}
    sources = ([(log_path, True)] if keep_log and os.path.isfile(log_path)
               else []) + [(j, False) for j in journals]
    for path, has_header in sources:
        for r in read_rows(path, has_header=has_header):
            rows[r['id']] = [r[k] for k in LOG_FIELDS]
    missing = [i for i in ids if i not in rows]
    for img_id in missing:
        rows[img_id] = recompute(img_id)
    with atomic_write(log_path) as tmp:
        with open(tmp, 'w') as f:
            f.write(header_line())
            for img_id in ids:
                f.write(format_row(rows[img_id]))
    for j in journals:
        os.remove(j)
    return len(missing)
