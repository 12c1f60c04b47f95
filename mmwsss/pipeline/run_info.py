"""Where a result came from: machine, date, commit (no torch, no mm).

The report and the study record :func:`run_info` next to their numbers, so
that a number read later names the CPU, the date and the code that made it.
"""
import datetime
import os
import os.path as osp
import platform
import subprocess

#: repository root (where ``.git`` is, in a clone)
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def cpu_model():
    """The CPU's model name (``/proc/cpuinfo``; else :mod:`platform`)."""
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                key, _, value = line.partition(':')
                if key.strip() in ('model name', 'Model', 'Hardware') and \
                        value.strip():
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or 'unknown CPU'


def git_commit(repo=REPO):
    """``HEAD``'s short hash, with ``-dirty`` when tracked files differ
    from it; None outside a git checkout (an installed package)."""
    try:
        head = subprocess.run(
            ['git', '-C', repo, 'rev-parse', '--short=12', 'HEAD'],
            capture_output=True, text=True, timeout=20)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(
            ['git', '-C', repo, 'status', '--porcelain',
             '--untracked-files=no'],
            capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ('-dirty' if dirty.stdout.strip() else '')


def now_utc():
    """The current time as ``YYYY-MM-DD HH:MM UTC``."""
    return datetime.datetime.now(datetime.timezone.utc).strftime(
        '%Y-%m-%d %H:%M UTC')


def run_info(repo=REPO):
    """``dict(date, machine, cpu_model, cpus, threads, commit, python)``;
    ``threads`` is ``OMP_NUM_THREADS`` (None when unset)."""
    cpus = os.cpu_count() or 1
    model = cpu_model()
    return dict(date=now_utc(), machine=f'{model}, {cpus} CPUs',
                cpu_model=model, cpus=cpus,
                threads=os.environ.get('OMP_NUM_THREADS'),
                commit=git_commit(repo), python=platform.python_version())


def _option(options, dotted):
    """``options[dotted]`` from flat (``'a.b': v``) or nested dicts."""
    options = options or {}
    if dotted in options:
        return options[dotted]
    node = options
    for part in dotted.split('.'):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _config_seed(path):
    """``randomness.seed`` of an mm config file, or None."""
    if not osp.isfile(path) and osp.isfile(osp.join(REPO, path)):
        path = osp.join(REPO, path)  # relative to the repository
    try:
        from mmengine.config import Config
        return (Config.fromfile(path, import_custom_modules=False).get(
            'randomness') or {}).get('seed')
    except Exception:  # a config that does not load: the stage will say so
        return None


def pipeline_seed(cfg):
    """The seeds of a pipeline config, as the report shows them:
    ``{'toy data': s, 'classify': s, ...}`` (the toy data's seed, and each
    trained stage's ``randomness.seed``: from its ``cfg_options``, else
    from its config file, else ``'not set'``)."""
    out = {}
    toy = (cfg.get('data') or {}).get('toy')
    if toy and toy.get('seed') is not None:
        out['toy data'] = toy['seed']
    for stage in ('classify', 'saliency', 'segment'):
        section = cfg.get(stage)
        if not section:
            continue
        seed = _option(section.get('cfg_options'), 'randomness.seed')
        if seed is None and section.get('config'):
            seed = _config_seed(section['config'])
        out[stage] = 'not set' if seed is None else seed
    return out
