"""Typed stage settings: a dataclass built from an mm ``Config`` section.

A pipeline config (``configs/pipelines``) holds one section per stage,
e.g. ``cam = dict(scales=[1.0, 0.5, 1.5, 2.0], flip=True)``; a stage tool
reads the same section (``--config``) and adds its paths as overrides::

    settings = CamSettings.from_config(cfg.cam, data_root=..., out=...)

Unknown keys, values of the wrong type (checked against the field's
annotation, :meth:`StageSettings.check_types`) and wrong values raise a
``ValueError`` naming the stage, the key and the value, once, before any
work starts; a pipeline config's unknown top-level keys are refused with
the closest known one (:func:`check_pipeline_keys`).
"""
import dataclasses
import difflib
import os.path as osp
import typing
from collections.abc import Mapping, Sequence


class StageSettings:
    """Mixin of the stage settings dataclasses."""

    #: the config section (and stage) name
    section = ''
    #: keys of the section that are not settings of the stage function (read
    #: by the pipeline only, e.g. a training config)
    pipeline_keys = ()
    #: former keys -> their names now (an old key is an error naming the new)
    renamed = {}

    @classmethod
    def from_config(cls, section=None, **overrides):
        """Settings from a config section (dict / ``ConfigDict`` or None)
        plus overrides; ``None`` overrides are ignored."""
        values = {k: v for k, v in dict(section or {}).items()
                  if k not in cls.pipeline_keys}
        values.update({k: v for k, v in overrides.items() if v is not None})
        from mmwsss.utils.renamed_keys import check_renamed
        check_renamed(f'{cls.section} settings', values, cls.renamed)
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ValueError(f'{cls.section} settings: unknown key(s) '
                             f'{unknown}; valid keys: {sorted(names)}')
        try:
            return cls(**values)
        except TypeError as e:  # a required field is missing
            raise ValueError(f'{cls.section} settings: {e}') from None

    def __post_init__(self):
        self.check_types()
        self.validate()

    def check_types(self):
        """Check every field against its annotation (``bool`` is a bool,
        not the string ``'false'``; a sequence is a list or tuple, not one
        number); raise ``ValueError`` naming the key and the value."""
        hints = typing.get_type_hints(type(self))
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is None and f.default is None:
                continue  # an unset optional path / value
            expected = hints.get(f.name)
            if expected is not None and not _matches(value, expected):
                raise ValueError(
                    f'{self.section} settings: {f.name}={value!r} must be '
                    f'{_describe(expected)}, got {type(value).__name__}')

    def validate(self):
        """Check the values; raise ``ValueError`` naming the bad key."""

    def error(self, key, msg):
        return ValueError(
            f'{self.section} settings: {key}={getattr(self, key)!r}'
            f' {msg}')

    def to_dict(self):
        return dataclasses.asdict(self)


def _matches(value, expected):
    """Whether ``value`` has the type ``expected`` (an annotation)."""
    origin = typing.get_origin(expected)
    args = typing.get_args(expected)
    if expected is typing.Any:
        return True
    if origin is typing.Union:
        return any(_matches(value, a) for a in args)
    if expected is type(None):
        return value is None
    if expected is bool:
        return isinstance(value, bool)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if expected is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if expected is str:
        return isinstance(value, str)
    if expected is dict or origin in (dict, Mapping):
        return isinstance(value, Mapping)
    if expected in (list, tuple) or origin in (list, tuple, Sequence):
        if not isinstance(value, (list, tuple)):
            return False
        if origin is tuple and args and args[-1] is not Ellipsis:
            return True  # a fixed-length tuple: elements not checked
        return not args or all(_matches(v, args[0]) for v in value)
    if isinstance(expected, type):
        return isinstance(value, expected)
    return True  # annotations we do not check


def _describe(expected):
    origin = typing.get_origin(expected)
    args = typing.get_args(expected)
    if origin is typing.Union:
        return ' or '.join(_describe(a) for a in args)
    if expected is type(None):
        return 'None'
    if origin is not None and args and origin is not dict:
        plural = {float: 'numbers', int: 'integers', str: 'strings',
                  bool: 'bools'}
        return f'a list of {plural.get(args[0], _describe(args[0]))}'
    names = {bool: 'true or false (a bool, not a string)', int: 'an integer',
             float: 'a number', str: 'a string', dict: 'a dict'}
    return names.get(expected, getattr(expected, '__name__', str(expected)))


#: the top-level keys of a pipeline config
PIPELINE_KEYS = ('work_dir', 'data', 'jobs', 'report', 'env', 'classify',
                 'cam', 'expand', 'saliency', 'select', 'segment')


def check_pipeline_keys(cfg, known=PIPELINE_KEYS):
    """Refuse a top-level key of a pipeline config that no stage reads (a
    misspelt section would be ignored), naming the closest known key."""
    filename = getattr(cfg, 'filename', None) or 'pipeline config'
    for key in cfg.keys():
        if key in known or key.startswith('_'):
            continue
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.5)
        hint = f'; did you mean {close[0]!r}?' if close else ''
        raise ValueError(f'{filename}: unknown top-level key {key!r}{hint} '
                         f'(known: {", ".join(known)})')


def load_section(config, section, cfg_options=None):
    """The ``section`` of an mm config file (``None`` when it has none)."""
    from mmengine.config import Config
    if not osp.isfile(config):
        raise FileNotFoundError(f'config not found: {config}')
    cfg = Config.fromfile(config, import_custom_modules=False)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg.get(section)


#: settings that do not change a stage's outputs (left out of the manifest)
NOT_IN_MANIFEST = ('out', 'nproc', 'device', 'distributed', 'overwrite',
                   'log')


def manifest_settings(settings, stage, inputs=()):
    """The settings recorded in an output folder's manifest
    (:func:`mmwsss.utils.sharding.check_manifest`): all but
    :data:`NOT_IN_MANIFEST` and the ``inputs`` (identified by content
    there); paths made absolute."""
    record = dict(stage=stage)
    for key, value in settings.to_dict().items():
        if key in NOT_IN_MANIFEST or key in inputs:
            continue
        if isinstance(value, str) and value and osp.exists(value):
            value = osp.abspath(value)
        record[key] = value
    return record
