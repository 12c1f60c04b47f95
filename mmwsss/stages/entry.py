"""Stage entry points: ``python -m mmwsss.stages.<stage> SETTINGS.json``.

A stage runs in steps (e.g. classify: ``train``, ``test``; cam: ``cam``,
``eval``), each a settings dataclass and the function that takes it
(:class:`Step`). The pipeline (:mod:`mmwsss.pipeline.wsss_stages`) checks
each step's settings when it is built and serialises them once, when the
step starts, to a JSON file::

    {"stage": "cam", "step": "cam", "settings": {...}, "args": {...}}

which the stage module's ``__main__`` reads back (:func:`run_step_file`):
the settings object is built from it (and checked again), then the step's
function runs with it and ``args``. Under ``torchrun`` the pipeline adds
``--launcher pytorch``.
"""
import argparse
import dataclasses
import json
import os
import sys


@dataclasses.dataclass(frozen=True)
class Step:
    """One step of a stage: its settings class and the function
    ``fn(settings, **args)`` that runs it. ``init_dist``: initialise the
    process group for ``--launcher pytorch`` here (training steps leave it
    to mmengine's runner, which reads ``settings.launcher``)."""
    settings: type
    fn: callable
    init_dist: bool = True


def settings_from_dict(cls, values):
    """``cls(**values)`` (checked by its ``validate``), refusing unknown
    keys with a clear error."""
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise ValueError(f'{cls.section} settings: unknown key(s) '
                         f'{unknown}; valid keys: {sorted(names)}')
    try:
        return cls(**values)
    except TypeError as e:  # a required field is missing
        raise ValueError(f'{cls.section} settings: {e}') from None


def step_record(stage, step, settings, args=None):
    """The JSON-ready content of a step's settings file."""
    return dict(stage=stage, step=step, settings=settings.to_dict(),
                args=dict(args or {}))


def read_step_file(path, stage, steps):
    """``(step name, Step, settings, args)`` of a settings file."""
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f'{path}: not a stage settings file ({e})') from None
    if not isinstance(data, dict) or data.get('stage') != stage:
        raise ValueError(f'{path}: settings of stage '
                         f'{data.get("stage") if isinstance(data, dict) else None!r}'
                         f', not of stage {stage!r}')
    name = data.get('step')
    if name not in steps:
        raise ValueError(f'{path}: stage {stage!r} has no step {name!r}; '
                         f'steps: {sorted(steps)}')
    step = steps[name]
    try:
        settings = settings_from_dict(step.settings, data.get('settings') or {})
    except ValueError as e:
        raise ValueError(f'{path}: {e}') from None
    return name, step, settings, dict(data.get('args') or {})


def run_step_file(stage, steps, argv=None):
    """The ``__main__`` of a stage module: run the step of a settings
    file; returns the step's result."""
    parser = argparse.ArgumentParser(
        prog=f'python -m mmwsss.stages.{stage}',
        description=f'Run one step of stage {stage} from its settings file '
        f'(steps: {", ".join(steps)})')
    parser.add_argument('settings', help='settings JSON of the step')
    parser.add_argument('--launcher', choices=['none', 'pytorch'],
                        default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    try:
        name, step, settings, step_args = read_step_file(
            args.settings, stage, steps)
    except ValueError as e:
        print(f'error: {e}', file=sys.stderr)
        sys.exit(2)
    names = {f.name for f in dataclasses.fields(settings)}
    launch = {k: v for k, v in (
        ('launcher', args.launcher),
        ('distributed', args.launcher != 'none')) if k in names}
    if launch:
        settings = dataclasses.replace(settings, **launch)
    from mmwsss.utils.cli import EXPECTED_ERRORS, debug_enabled, error_line
    from mmwsss.utils.sharding import close_dist, init_tool_dist
    try:
        if step.init_dist:
            init_tool_dist(args.launcher)
        result = step.fn(settings, **step_args)
    except EXPECTED_ERRORS as e:  # one line (MMWSSS_DEBUG=1: traceback)
        if debug_enabled():
            raise
        print(error_line(e), file=sys.stderr)
        sys.exit(1)
    close_dist()
    if isinstance(result, dict):
        print(f'[{stage}.{name}] ' + json.dumps(result, default=str)[:2000])
    return result
