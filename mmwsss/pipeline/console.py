"""The pipeline's console lines: stage k/N, elapsed time, ETA, and one
readable line per finished stage (:func:`metric_names.summary`).

The ETA is the time the remaining stages took in an earlier run of the same
work dir (their ``seconds`` in the manifest) where there is one, else the
mean time of the stages finished in this run (two at least); with stages
side by side (``jobs > 1``) it is divided by ``jobs``. It is an estimate
and says so.
"""
import threading
import time

from .metric_names import summary


def clock(seconds):
    """``'1:02:03'`` / ``'2:03'``."""
    seconds = int(round(max(0.0, seconds)))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f'{h}:{m:02d}:{s:02d}' if h else f'{m}:{s:02d}'


class Progress:
    """Track the stages of one ``PipelineRunner.run``.

    Args:
        names (list[str]): the stages this run goes through, in order.
        previous (dict): ``{stage: seconds}`` of an earlier run.
        jobs (int): stages run side by side.
        now (callable): the clock (tests pass their own).
    """

    def __init__(self, names, previous=None, jobs=1, now=time.time):
        self.names = list(names)
        self.previous = {k: v for k, v in (previous or {}).items()
                         if isinstance(v, (int, float))}
        self.jobs = max(1, int(jobs))
        self.now = now
        self.start = now()
        self.done = {}
        self.skipped = set()
        self._lock = threading.Lock()

    def index(self, name):
        return f'[{self.names.index(name) + 1}/{len(self.names)} {name}]'

    def eta(self):
        """Seconds left (estimate), or None when nothing to go on."""
        left = [n for n in self.names
                if n not in self.done and n not in self.skipped]
        if not left:
            return 0.0
        ran = [s for n, s in self.done.items() if n not in self.skipped]
        # one finished stage (often the quick data stage) says too little
        mean = sum(ran) / len(ran) if len(ran) >= 2 else None
        total = 0.0
        for n in left:
            if n in self.previous:
                total += self.previous[n]
            elif mean is not None:
                total += mean
            else:
                return None
        return total / self.jobs

    def _tail(self):
        with self._lock:
            finished = len(self.done) + len(self.skipped)
            eta = self.eta()
        text = (f'{finished}/{len(self.names)} stages done, elapsed '
                f'{clock(self.now() - self.start)}')
        if finished < len(self.names):
            text += ', ETA ' + ('unknown' if eta is None else
                                f'~{clock(eta)}')
        return text

    def started(self, name, resumed=False):
        return (f'{self.index(name)} {"resuming" if resumed else "started"}'
                f' (elapsed {clock(self.now() - self.start)})')

    def skip(self, name):
        with self._lock:
            self.skipped.add(name)
        return f'{self.index(name)} up to date, skipped | {self._tail()}'

    def finished(self, name, seconds, metrics=None):
        with self._lock:
            self.done[name] = float(seconds)
        line = summary(name, metrics)
        return (f'{self.index(name)} done in {clock(seconds)}'
                + (f': {line}' if line else '') + f' | {self._tail()}')
