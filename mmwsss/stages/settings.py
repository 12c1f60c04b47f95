"""Typed stage settings: a dataclass built from an mm ``Config`` section.

A pipeline config (``configs/pipelines``) holds one section per stage,
e.g. ``cam = dict(scales=[1.0, 0.5, 1.5, 2.0], flip=True)``; a stage tool
reads the same section (``--config``) and adds its paths as overrides::

    settings = CamSettings.from_config(cfg.cam, data_root=..., out=...)

Unknown keys and wrong values raise a ``ValueError`` naming the stage and the
key, once, before any work starts.
"""
import dataclasses
import os.path as osp


class StageSettings:
    """Mixin of the stage settings dataclasses."""

    #: the config section (and stage) name
    section = ''
    #: keys of the section that are not settings of the stage function (read
    #: by the pipeline only, e.g. a training config)
    pipeline_keys = ()

    @classmethod
    def from_config(cls, section=None, **overrides):
        """Settings from a config section (dict / ``ConfigDict`` or None)
        plus overrides; ``None`` overrides are ignored."""
        values = {k: v for k, v in dict(section or {}).items()
                  if k not in cls.pipeline_keys}
        values.update({k: v for k, v in overrides.items() if v is not None})
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
        self.validate()

    def validate(self):
        """Check the values; raise ``ValueError`` naming the bad key."""

    def error(self, key, msg):
        return ValueError(f'{self.section} settings: {key}={getattr(self, key)!r}'
                          f' {msg}')

    def to_dict(self):
        return dataclasses.asdict(self)


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
