"""The expansion methods of stage expand: one object per method.

:data:`EXPAND_METHODS` maps ``expand.method`` to its object; the stage
(:mod:`mmwsss.stages.expand`), its tool (``tools/run_expand.py``) and the
pipeline (:mod:`mmwsss.pipeline.wsss_stages`) read everything
method-specific from it: which config sections hold the method's settings
(and their settings class), whether it reads the image, whether it uses the
CAM threshold, whether it runs in steps around a trained network. To add a
method, write an :class:`ExpandMethod` subclass and
:func:`register_expand_method` it.

* ``irn``: IRN's learned expansion (:mod:`mmwsss.expand`), steps
  ``relation`` (settings ``relation``), the relation network's training,
  ``walk`` (settings ``walk``);
* ``par``: the pixel-adaptive refinement
  (:mod:`mmwsss.cam.pixel_adaptive_refinement`, torch on CPU), settings
  ``par``;
* ``crf``: a dense CRF (:func:`mmwsss.cam.dense_crf_refine`, needs
  pydensecrf2), settings ``crf``;
* ``none``: the argmax of {background, CAMs}.
"""
import dataclasses
from typing import Optional, Tuple

#: the method of an ``expand`` section without one
DEFAULT_METHOD = 'par'


@dataclasses.dataclass
class ParSettings:
    """Settings ``par`` of method par (None: the defaults of
    :mod:`mmwsss.cam.pixel_adaptive_refinement`)."""
    num_iter: Optional[int] = None
    dilations: Optional[Tuple[int, ...]] = None
    w1: Optional[float] = None      # colour temperature
    w2: Optional[float] = None      # spatial affinity weight

    def resolved(self):
        """The settings with every default filled in (imports torch)."""
        from mmwsss.cam import pixel_adaptive_refinement as par
        defaults = dict(num_iter=par.DEFAULT_NUM_ITER,
                        dilations=par.DEFAULT_DILATIONS, w1=par.DEFAULT_W1,
                        w2=par.DEFAULT_W2)
        values = {k: defaults[k] if v is None else v
                  for k, v in dataclasses.asdict(self).items()}
        values['dilations'] = tuple(values['dilations'])
        return ParSettings(**values)


@dataclasses.dataclass
class CrfSettings:
    """Settings ``crf`` of method crf (None: the defaults of
    :data:`mmwsss.cam.dense_crf.DEFAULT_CRF`)."""
    num_iter: Optional[int] = None
    pos_w: Optional[float] = None
    pos_xy_std: Optional[float] = None
    bi_w: Optional[float] = None
    bi_xy_std: Optional[float] = None
    bi_rgb_std: Optional[float] = None

    def resolved(self):
        from mmwsss.cam.dense_crf import DEFAULT_CRF
        return CrfSettings(**{k: DEFAULT_CRF[k] if v is None else v
                              for k, v in dataclasses.asdict(self).items()})


def _irn_settings_classes():
    from mmwsss.expand import RandomWalkSettings, RelationLabelSettings
    return dict(relation=RelationLabelSettings, walk=RandomWalkSettings)


class ExpandMethod:
    """One expansion method (see the module docstring).

    Attributes:
        name: the value of ``expand.method``.
        needs_image: the per-image refinement reads the RGB image.
        uses_cam_thr: the labels use the CAM threshold ``cam_thr`` (a
            constant background plane) and so need the CAM sweep's JSON for
            ``'best'``.
        steps: named steps run one after another (empty: one pass over the
            images, :meth:`refine` on each).
        trains_network: a network is trained between the steps (the
            pipeline adds the training step and its checkpoint).
    """
    name = ''
    needs_image = False
    uses_cam_thr = True
    steps = ()
    trains_network = False
    #: keys of a settings class that are not config keys
    hidden_keys = ('img_suffix', )

    def settings_classes(self):
        """``{ExpandSettings field: settings class}`` of the method's own
        config sections."""
        return {}

    def section_names(self):
        """The ``ExpandSettings`` fields holding the method's settings."""
        return tuple(self.settings_classes())

    def option_keys(self, section):
        """Valid keys of ``section`` (a field of ``ExpandSettings``)."""
        cls = self.settings_classes()[section]
        return tuple(f.name for f in dataclasses.fields(cls)
                     if f.name not in self.hidden_keys)

    def renamed_keys(self, section):
        """``{former key: key}`` of ``section``."""
        return {}

    def check(self, settings):
        """Check (and complete with defaults) the method's sections of
        ``settings``; raise ``settings.error(...)``."""

    def ensure_available(self):
        """Raise ``ImportError`` when an optional package is missing."""

    def options(self, settings):
        """Keyword arguments of :meth:`refine` from ``settings``."""
        return {}

    def refine(self, scores, image=None, **options):
        """Refined score planes ({background, classes}, C x H x W float)."""
        return scores

    def run_step(self, settings, step, checkpoint=None):
        """Run one of :attr:`steps`; returns the stage's summary dict."""
        raise NotImplementedError


class NoneMethod(ExpandMethod):
    name = 'none'


class _SectionMethod(ExpandMethod):
    """A per-image refinement with one settings section ``name``."""
    settings_class = None
    needs_image = True

    def settings_classes(self):
        return {self.name: self.settings_class}

    def check(self, settings):
        value = self.settings_class(**getattr(settings, self.name))
        setattr(settings, self.name,
                dataclasses.asdict(value.resolved()))

    def options(self, settings):
        return dict(getattr(settings, self.name))


class ParMethod(_SectionMethod):
    name = 'par'
    settings_class = ParSettings

    def refine(self, scores, image=None, **options):
        import numpy as np
        import torch

        from mmwsss.cam.pixel_adaptive_refinement import \
            pixel_adaptive_refine
        if image is None:
            raise ValueError('PAR refinement needs the image')
        img = torch.from_numpy(np.ascontiguousarray(
            image.transpose(2, 0, 1))).float()
        with torch.no_grad():
            return pixel_adaptive_refine(img, torch.from_numpy(scores),
                                         **options).numpy()


class CrfMethod(_SectionMethod):
    name = 'crf'
    settings_class = CrfSettings

    def ensure_available(self):
        from mmwsss.cam.dense_crf import CRF_EXTRA, dense_crf_available
        if not dense_crf_available():
            raise ImportError("expand method 'crf' needs pydensecrf2, which "
                              f'is not installed: {CRF_EXTRA}')

    def refine(self, scores, image=None, **options):
        from mmwsss.cam.dense_crf import dense_crf_refine
        if image is None:
            raise ValueError('CRF refinement needs the image')
        return dense_crf_refine(image.transpose(2, 0, 1), scores, **options)


class IrnMethod(ExpandMethod):
    """IRN: relation labels, the relation network, the random walk (the
    walk has its own background threshold, ``walk.walk_bg_thr``)."""
    name = 'irn'
    uses_cam_thr = False
    steps = ('relation', 'walk')
    trains_network = True
    #: the config keys of :class:`mmwsss.expand.RelationLabelSettings` and
    #: :class:`mmwsss.expand.RandomWalkSettings` (written out: importing
    #: :mod:`mmwsss.expand` loads torch; a test checks they agree)
    OPTION_KEYS = dict(
        relation=('relation_fg_thr', 'relation_bg_thr', 'refine',
                  'par_iters', 'crf_scale'),
        walk=('radius', 'beta', 'exp_times', 'ref_cells', 'walk_bg_thr',
              'bg_power', 'flip', 'device'))
    #: former keys of these sections -> their names now
    RENAMED = dict(relation=dict(fg_thr='relation_fg_thr',
                                 bg_thr='relation_bg_thr'),
                   walk=dict(bg_thr='walk_bg_thr'))

    def settings_classes(self):
        return _irn_settings_classes()

    def section_names(self):
        return tuple(self.OPTION_KEYS)

    def option_keys(self, section):
        return self.OPTION_KEYS[section]

    def renamed_keys(self, section):
        return self.RENAMED.get(section, {})

    def check(self, settings):
        if not settings.config:
            raise settings.error('config', "is required for method='irn' "
                                 '(the relation network, e.g. configs/irn/'
                                 'irn_r50_1xb32-3e_voc12aug-512x512.py)')
        settings.relation_settings()
        settings.walk_settings()
        relative = settings.relative_keys()
        if relative and not settings.cam_eval:
            section, key = relative[0].split('.')
            raise settings.error(section, f'{key} is relative to the CAM '
                                 "sweep's best threshold and needs cam_eval "
                                 '(the JSON of tools/eval_cam.py)')

    def run_step(self, settings, step, checkpoint=None):
        """``'relation'`` (relation labels into ``out``) or ``'walk'``
        (the random walk with the relation network ``checkpoint``,
        pseudo-labels into ``out``) over ``settings.split``."""
        import functools
        import os.path as osp

        from mmwsss.datasets.voc_layout import (cam_label_keys,
                                                image_labels_if_any,
                                                read_split, require_files,
                                                root_path)
        from mmwsss.expand import make_relation_labels, propagate_cams
        from mmwsss.utils.sharding import barrier, get_dist_info
        s = settings
        if step not in self.steps:
            raise ValueError(f"method 'irn' runs in steps {self.steps}; got "
                             f'step={step!r} (tools/run_expand.py --step)')
        split_file, ids = read_split(s.data_root, s.split)
        require_files(s.cam_dir, ids, '.npz', 'CAM', split_file)
        img_dir = root_path(s.data_root, s.img_dir)
        # a CAM of a class the image-level label does not hold is refused
        label_keys = functools.partial(cam_label_keys,
                                       image_labels_if_any(s.data_root))
        workers = s.nproc if s.nproc > 1 else 0
        if workers:
            import torch
            torch.set_num_threads(1)
        if step == 'relation':
            res = make_relation_labels(ids, s.cam_dir, img_dir, s.out,
                                       s.relation_settings(resolve=True),
                                       workers, label_keys=label_keys)
        else:
            if not checkpoint:
                raise ValueError("step 'walk' needs the relation network's "
                                 'checkpoint (--checkpoint)')
            if not osp.isfile(checkpoint):
                raise FileNotFoundError(f'relation network checkpoint not '
                                        f'found: {checkpoint}')
            walk = s.walk_settings(resolve=True)
            if not str(walk.device).startswith('cpu'):
                workers = 0   # one process holds the network on the GPU
            res = propagate_cams(ids, s.cam_dir, img_dir, s.out, s.config,
                                 checkpoint, walk, workers,
                                 label_keys=label_keys)
        barrier()
        return dict(split=split_file, num_images=len(ids), out=s.out,
                    rank=get_dist_info()[0], method=self.name,
                    step=step, cam_thr=None, seconds=res['seconds'])


#: ``expand.method`` -> its :class:`ExpandMethod` (in the order of the docs)
EXPAND_METHODS = {}


def register_expand_method(method):
    """Add an :class:`ExpandMethod` instance to :data:`EXPAND_METHODS`
    under its name (the one place a method is added); returns it."""
    if not method.name or method.name in EXPAND_METHODS:
        raise ValueError(f'expand method name {method.name!r} is empty or '
                         'taken')
    EXPAND_METHODS[method.name] = method
    return method


for _method in (IrnMethod(), ParMethod(), CrfMethod(), NoneMethod()):
    register_expand_method(_method)


def get_expand_method(name):
    """The method object of ``name``; ``KeyError`` naming the valid ones."""
    try:
        return EXPAND_METHODS[name]
    except (KeyError, TypeError):
        raise KeyError(f'unknown expand method {name!r}; valid: '
                       f'{sorted(EXPAND_METHODS)}') from None


def all_steps():
    """Every step name of every method (for the tool's ``--step``)."""
    return tuple(dict.fromkeys(s for m in EXPAND_METHODS.values()
                               for s in m.steps))
