"""Stage expand: CAMs -> pseudo-label PNGs, grown along the image's edges.

``method`` decides how the seeds grow (each method is an object of
:data:`mmwsss.stages.expand_methods.EXPAND_METHODS`, with its settings
classes):

* ``'irn'``: IRN's learned expansion (:mod:`mmwsss.expand`), in steps run
  by the pipeline: ``step='relation'`` writes relation labels from the CAMs
  (settings ``relation``), ``tools/train.py <config>`` trains the relation
  network on them, ``step='walk'`` propagates the CAMs by a random walk on
  its boundary maps (settings ``walk``, the network's ``checkpoint``).
  ``cam_thr`` is not used (the walk has its own, ``walk.walk_bg_thr``).
* ``'par'``: the training-free pixel-adaptive refinement
  (:mod:`mmwsss.cam.pixel_adaptive_refinement`, torch on CPU), which pulls
  the CAMs onto the image's edges;
* ``'crf'``: a dense CRF (:func:`mmwsss.cam.dense_crf_refine`, settings
  ``crf``; needs pydensecrf2, ``pip install -e '.[crf]'``);
* ``'none'``: no refinement, the label is the argmax of the planes.

For ``par``, ``crf`` and ``none`` each image's CAMs (stage cam) get a
constant background plane ``cam_thr`` (the CAM threshold) and the label
is the argmax over {background, present classes}
(:func:`mmwsss.cam.scores_to_label`). Writes ``<out>/<id>.png`` (VOC
palette) atomically, skips images whose PNG exists (resume), splits the list
across ranks under torchrun and across ``nproc`` processes.

``cam_thr='best'`` takes ``best_threshold`` from the CAM evaluation JSON
``cam_eval`` (written by ``tools/eval_cam.py --out-json``). The thresholds
of method 'irn' (``relation.relation_fg_thr``, ``relation.relation_bg_thr``,
``walk.walk_bg_thr``)
may be set relative to it too: ``'best'``, ``'best+0.3'``, ``'best-0.1'``
(:func:`relative_threshold`).

    python -m mmwsss.stages.expand SETTINGS.json

runs one step (see :mod:`mmwsss.stages.entry`): ``expand``
(:class:`ExpandSettings`, :func:`run_expand`; with method irn its ``step``
argument names the irn step), ``train`` (irn's relation network,
:mod:`mmwsss.stages.training`) or ``eval`` (the labels' scores,
:mod:`mmwsss.stages.evaluate`). By hand: ``tools/run_expand.py``.
"""
import dataclasses
import json
import os
import os.path as osp
import re
import time
from typing import Optional, Union

from mmwsss.cam.cam_to_label import (cam_scores_with_background,
                                     scores_to_label)
from mmwsss.datasets.voc_layout import (cam_label_keys, image_labels_if_any,
                                        read_split, require_files, root_path)
from mmwsss.utils.io import load_cam_npz, read_image, save_label_png
from mmwsss.utils.renamed_keys import check_renamed

from .entry import Step, run_step_file
from .evaluate import LabelEvalSettings, run_eval
from .expand_methods import (DEFAULT_METHOD, EXPAND_METHODS,
                             get_expand_method)
from .settings import StageSettings, manifest_settings
from .training import TrainSettings, run_train

#: a threshold relative to the CAM sweep's best one: 'best', 'best+0.3'
_RELATIVE = re.compile(r'^\s*best\s*(?:([+-])\s*(\d+(?:\.\d*)?|\.\d+))?\s*$')


def relative_threshold(value, best=None):
    """A threshold given as a number or relative to the CAM sweep's best
    background threshold ``best``: ``'best'``, ``'best+0.3'``,
    ``'best-0.05'``. Returns the number (clipped to [0, 1]); raises
    ``ValueError`` for anything else, or for a relative value without
    ``best``. ``best=None`` with a relative value only checks its form."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    m = _RELATIVE.match(value) if isinstance(value, str) else None
    if m is None:
        raise ValueError(f"{value!r} is neither a number nor 'best', "
                         "'best+x' or 'best-x'")
    if best is None:
        return None
    delta = float(m.group(2) or 0) * (-1 if m.group(1) == '-' else 1)
    return min(1.0, max(0.0, float(best) + delta))


def is_relative(value):
    return isinstance(value, str)


@dataclasses.dataclass
class ExpandSettings(StageSettings):
    """Settings of the expand stage (config section ``expand``)."""
    section = 'expand'
    #: read by the pipeline only (method irn): the relation network's
    #: training cfg-options, and whether its backbone is initialised from
    #: the stage-1 classifier's last checkpoint
    pipeline_keys = ('cfg_options', 'backbone_from_classify')
    renamed = dict(bg_thr='cam_thr')
    cam_dir: str = None
    data_root: str = None
    out: str = None
    split: str = 'train_aug'
    method: str = DEFAULT_METHOD
    #: the CAM threshold: the score of the constant background plane (a
    #: number, or 'best': the CAM sweep's best, read from ``cam_eval``)
    cam_thr: Union[float, str] = 'best'
    cam_eval: Optional[str] = None   # JSON with best_threshold
    par: dict = dataclasses.field(default_factory=dict)
    crf: dict = dataclasses.field(default_factory=dict)
    config: Optional[str] = None     # irn: the relation network's config
    relation: dict = dataclasses.field(default_factory=dict)
    walk: dict = dataclasses.field(default_factory=dict)
    img_dir: str = 'JPEGImages'
    img_suffix: str = '.jpg'
    nproc: int = 1
    overwrite: bool = False

    def validate(self):
        for key in ('cam_dir', 'data_root', 'out'):
            if not getattr(self, key):
                raise self.error(key, 'is required')
        if self.method not in EXPAND_METHODS:
            raise self.error('method', 'is not one of '
                             f'{tuple(EXPAND_METHODS)}')
        method = self.expand_method
        if self.cam_thr == 'best':
            if not self.cam_eval and method.uses_cam_thr:
                raise self.error('cam_thr', "needs cam_eval (the JSON of "
                                 "the cam stage's threshold sweep, "
                                 "eval_cam.py --out-json)")
        else:
            try:
                self.cam_thr = float(self.cam_thr)
            except (TypeError, ValueError):
                raise self.error('cam_thr', "must be a number or 'best'") \
                    from None
        # every method's sections hold only its keys; the chosen method
        # checks (and completes) its own
        for other in EXPAND_METHODS.values():
            for key in other.section_names():
                self._check_keys(key, getattr(self, key),
                                 other.option_keys(key),
                                 other.renamed_keys(key))
        method.check(self)

    @property
    def expand_method(self):
        """The :class:`~mmwsss.stages.expand_methods.ExpandMethod` of
        ``method``."""
        return get_expand_method(self.method)

    def _check_keys(self, key, value, valid, renamed=None):
        if not isinstance(value, dict):
            raise self.error(key, 'must be a dict')
        check_renamed(f'{self.section} settings: {key}', value,
                      renamed or {})
        unknown = set(value) - set(valid)
        if unknown:
            raise self.error(key, f'has unknown keys {sorted(unknown)}; '
                             f'valid: {sorted(valid)}')

    def relative_keys(self):
        """Names of the irn thresholds set relative to the CAM sweep."""
        return [f'{name}.{key}' for name, sec in (('relation', self.relation),
                                                  ('walk', self.walk))
                for key in ('relation_fg_thr', 'relation_bg_thr',
                            'walk_bg_thr') if is_relative(sec.get(key))]

    def _irn_threshold(self, section, key, value, resolve):
        """A relation / walk threshold: a number in [0, 1] or relative to
        the CAM sweep's best threshold (resolved when ``resolve``)."""
        try:
            if is_relative(value):
                out = relative_threshold(
                    value, self.threshold(best=True) if resolve else None)
                return value if out is None else out
            out = relative_threshold(value)
        except ValueError as err:
            raise self.error(section, f'{key}: {err}') from None
        if not 0 <= out <= 1:
            raise self.error(section, f'{key} must be in [0, 1]')
        return out

    def relation_settings(self, resolve=False):
        """:class:`mmwsss.expand.RelationLabelSettings` of ``relation``;
        ``resolve``: thresholds relative to the CAM sweep's best one are
        read from ``cam_eval`` (else they stay strings)."""
        from mmwsss.expand import RelationLabelSettings
        from mmwsss.expand.irn import REFINEMENTS
        r = dict(self.relation)
        if r.get('refine') is None:
            r['refine'] = 'none'
        if r['refine'] not in REFINEMENTS:
            raise self.error('relation', "refine must be None, 'none', "
                             "'crf' or 'par'")
        scale = r.get('crf_scale', 1.0)
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) \
                or not 0 < scale <= 1:
            raise self.error('relation', f'crf_scale must be a number in '
                             f'(0, 1], got {scale!r}')
        for key in ('relation_fg_thr', 'relation_bg_thr'):
            if key in r:
                r[key] = self._irn_threshold('relation', key, r[key],
                                             resolve)
        out = RelationLabelSettings(img_suffix=self.img_suffix, **r)
        if is_relative(out.relation_fg_thr) or \
                is_relative(out.relation_bg_thr):
            return out
        if out.relation_bg_thr > out.relation_fg_thr:
            raise self.error('relation', f'relation_bg_thr '
                             f'{out.relation_bg_thr} is above '
                             f'relation_fg_thr {out.relation_fg_thr}')
        return out

    def walk_settings(self, resolve=False):
        """:class:`mmwsss.expand.RandomWalkSettings` of ``walk`` (``resolve``
        as in :meth:`relation_settings`)."""
        from mmwsss.expand import RandomWalkSettings
        w = dict(self.walk)
        for key in ('radius', 'exp_times'):
            if key in w and not (isinstance(w[key], int) and w[key] >= 0
                                 and (key != 'radius' or w[key] >= 1)):
                raise self.error('walk', f'{key} must be a whole number '
                                 f'>= {1 if key == "radius" else 0}')
        for key in ('beta', 'ref_cells'):
            if w.get(key) is not None and not (
                    isinstance(w[key], (int, float)) and w[key] >= 0):
                raise self.error('walk', f'{key} must be a number >= 0')
        if 'walk_bg_thr' in w:
            w['walk_bg_thr'] = self._irn_threshold(
                'walk', 'walk_bg_thr', w['walk_bg_thr'], resolve)
        return RandomWalkSettings(img_suffix=self.img_suffix, **w)

    def threshold(self, best=False):
        """The background threshold (resolving ``'best'``); ``best=True``:
        the CAM sweep's best threshold whatever ``cam_thr`` is."""
        if self.cam_thr != 'best' and not best:
            return self.cam_thr
        if not osp.isfile(self.cam_eval):
            raise FileNotFoundError(f'CAM evaluation not found: '
                                    f'{self.cam_eval} (run the cam stage\'s '
                                    'threshold sweep first: eval_cam.py '
                                    '--out-json)')
        with open(self.cam_eval) as f:
            data = json.load(f)
        if 'best_threshold' not in data:
            raise ValueError(f'{self.cam_eval}: no "best_threshold"')
        return float(data['best_threshold'])


def make_label(keys, cams, cam_thr, image=None, method='none', **options):
    """Label map (uint8) of one image's CAMs; ``image`` (H x W x 3 RGB) is
    needed by the methods that read it (``options``: the method's
    settings)."""
    scores = cam_scores_with_background(cams, cam_thr)
    if len(keys):
        scores = get_expand_method(method).refine(scores, image, **options)
    return scores_to_label(scores, keys)


class ExpandOne:
    """The per-image work of the stage (picklable-free: reaches the pool
    workers through the fork)."""

    def __init__(self, settings, cam_thr):
        self.s = settings
        self.cam_thr = cam_thr
        self.img_dir = root_path(settings.data_root, settings.img_dir)
        self.method = settings.expand_method
        self.options = self.method.options(settings)
        # the image-level labels, when the root has them: a CAM of a class
        # the image does not hold is refused
        self.labels = image_labels_if_any(settings.data_root)

    def __call__(self, img_id):
        s = self.s
        cam_path = osp.join(s.cam_dir, img_id + '.npz')
        keys, cams = load_cam_npz(
            cam_path, *cam_label_keys(self.labels, img_id))
        image = None
        if self.method.needs_image:
            img_path = osp.join(self.img_dir, img_id + s.img_suffix)
            image = read_image(img_path)[..., ::-1]
            if image.shape[:2] != cams.shape[1:]:
                raise ValueError(f'{cam_path}: CAMs of size {cams.shape[1:]}'
                                 f' but the image {img_path} is '
                                 f'{image.shape[:2]}')
        label = make_label(keys, cams, self.cam_thr, image, s.method,
                           **self.options)
        save_label_png(osp.join(s.out, img_id + '.png'), label)


def run_expand(settings, step=None, checkpoint=None):
    """Write the pseudo-labels of ``settings.split`` (a method that runs in
    steps, irn: run ``step``, see
    :meth:`mmwsss.stages.expand_methods.IrnMethod.run_step`); returns a
    summary."""
    from mmwsss.utils.sharding import ShardedJob, barrier
    s = settings
    method = s.expand_method
    if method.steps:
        return method.run_step(s, step, checkpoint)
    if step is not None:
        raise ValueError(f'step={step!r} is for a method that runs in steps;'
                         f' method {s.method!r} does not')
    method.ensure_available()
    split_file, ids = read_split(s.data_root, s.split)
    require_files(s.cam_dir, ids, '.npz', 'CAM', split_file)
    cam_thr = s.threshold()
    os.makedirs(s.out, exist_ok=True)
    job = ShardedJob(
        ids, lambda i: [osp.join(s.out, i + '.png')], out_dir=s.out,
        overwrite=s.overwrite, inputs=dict(list=split_file, cams=s.cam_dir),
        settings=dict(manifest_settings(s, 'expand', ('cam_dir', 'cam_eval')),
                      cam_thr=cam_thr))
    start = time.time()
    if s.nproc > 1 and method.needs_image:
        import torch
        torch.set_num_threads(1)
    job.run(ExpandOne(s, cam_thr),
            num_workers=s.nproc if s.nproc > 1 else 0, desc='pseudo-labels')
    barrier()
    return dict(split=split_file, num_images=len(ids), out=s.out,
                rank=job.rank, cam_thr=cam_thr, method=s.method,
                seconds=time.time() - start)


#: the steps of ``python -m mmwsss.stages.expand SETTINGS.json``
STEPS = dict(expand=Step(ExpandSettings, run_expand),
             train=Step(TrainSettings, run_train, init_dist=False),
             eval=Step(LabelEvalSettings, run_eval))

if __name__ == '__main__':
    run_step_file('expand', STEPS)
