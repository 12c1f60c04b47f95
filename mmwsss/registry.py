"""The ``mmwsss`` registry scope, for configs that inherit ``mmwsss::``
bases.

mmengine marks every component of a base config loaded as
``mmwsss::<path>`` with ``_scope_='mmwsss'`` and, when building it, looks
for registries of that scope (importing this module). mmwsss registers its
components into mmseg's registries (and, for stage 1, mmpretrain's), so
each registry here is an empty child of mmseg's: a ``type`` is looked up
in mmseg's registry, where mmwsss's own components are too (searching it
first imports mmseg's modules of that kind and mmwsss's components). Stage-1
(``classify``) configs build in mmpretrain's scope and do not inherit
``mmwsss::`` bases.
"""
from importlib.util import find_spec

from mmengine.registry import Registry
from mmseg import registry as mmseg_registry

# the module whose import registers mmwsss's components
_LOCATIONS = (['mmwsss.mm_components'] if find_spec('mmwsss.mm_components')
              else ['mmwsss'])

_KINDS = ('RUNNERS', 'RUNNER_CONSTRUCTORS', 'LOOPS', 'HOOKS', 'DATASETS',
          'DATA_SAMPLERS', 'TRANSFORMS', 'MODELS', 'MODEL_WRAPPERS',
          'WEIGHT_INITIALIZERS', 'OPTIMIZERS', 'OPTIM_WRAPPERS',
          'OPTIM_WRAPPER_CONSTRUCTORS', 'PARAM_SCHEDULERS', 'METRICS',
          'EVALUATOR', 'TASK_UTILS', 'VISUALIZERS', 'VISBACKENDS',
          'LOG_PROCESSORS', 'INFERENCERS')

for _kind in _KINDS:
    _parent = getattr(mmseg_registry, _kind)
    # mmengine imports a registry's locations when it is first searched but
    # not its parent's: import mmseg's modules of this kind too
    globals()[_kind] = Registry(
        _parent.name, parent=_parent, scope='mmwsss',
        locations=list(_parent._locations) + _LOCATIONS)

__all__ = list(_KINDS)
