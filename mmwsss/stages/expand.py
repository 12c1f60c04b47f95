"""Stage expand: CAMs -> pseudo-label PNGs, optionally refined along edges.

Each image's CAMs (stage cam) get a constant background plane ``bg_thr``;
``method`` then decides how the seeds grow:

* ``'none'``: no refinement, the label is the argmax of the planes;
* ``'par'``: the training-free pixel-adaptive refinement
  (:mod:`mmwsss.cam.pixel_adaptive_refinement`, torch on CPU), which pulls
  the CAMs onto the image's edges (the demo's default).

(Learned expansions, e.g. IRN's random walk or a CRF, slot in as further
methods.) The label is the argmax over {background, present classes}
(:func:`mmwsss.cam.scores_to_label`). Writes ``<out>/<id>.png`` (VOC
palette) atomically, skips images whose PNG exists (resume), splits the list
across ranks under torchrun and across ``nproc`` processes.

``bg_thr='best'`` takes ``best_threshold`` from the CAM evaluation JSON
``cam_eval`` (written by ``tools/eval_cam.py --out-json``).
"""
import dataclasses
import json
import os
import os.path as osp
import time
from typing import Optional, Union

import numpy as np

from mmwsss.cam.cam_to_label import (cam_scores_with_background,
                                     scores_to_label)
from mmwsss.datasets.voc_layout import read_split, require_files, root_path
from mmwsss.utils.io import load_cam_npz, read_image, save_label_png

from .settings import StageSettings, manifest_settings

#: expansion methods
METHODS = ('none', 'par')
#: keys of the ``par`` settings (defaults in
#: :mod:`mmwsss.cam.pixel_adaptive_refinement`)
PAR_KEYS = ('num_iter', 'dilations', 'w1', 'w2')


def par_defaults():
    from mmwsss.cam import pixel_adaptive_refinement as par
    return dict(num_iter=par.DEFAULT_NUM_ITER, dilations=par.DEFAULT_DILATIONS,
                w1=par.DEFAULT_W1, w2=par.DEFAULT_W2)


@dataclasses.dataclass
class ExpandSettings(StageSettings):
    """Settings of the expand stage (config section ``expand``)."""
    section = 'expand'
    cam_dir: str = None
    data_root: str = None
    out: str = None
    split: str = 'train_aug'
    method: str = 'par'
    bg_thr: Union[float, str] = 'best'
    cam_eval: Optional[str] = None   # JSON with best_threshold
    par: dict = dataclasses.field(default_factory=dict)
    img_dir: str = 'JPEGImages'
    img_suffix: str = '.jpg'
    nproc: int = 1
    overwrite: bool = False

    def validate(self):
        for key in ('cam_dir', 'data_root', 'out'):
            if not getattr(self, key):
                raise self.error(key, 'is required')
        if self.method not in METHODS:
            raise self.error('method', f'is not one of {METHODS}')
        if self.bg_thr == 'best':
            if not self.cam_eval:
                raise self.error('bg_thr', "needs cam_eval (the JSON of "
                                 "tools/eval_cam.py)")
        else:
            try:
                self.bg_thr = float(self.bg_thr)
            except (TypeError, ValueError):
                raise self.error('bg_thr', "must be a number or 'best'") \
                    from None
        unknown = set(self.par) - set(PAR_KEYS)
        if unknown:
            raise self.error('par', f'has unknown keys {sorted(unknown)}; '
                             f'valid: {sorted(PAR_KEYS)}')
        if self.method == 'par':
            self.par = dict(par_defaults(), **self.par)
            self.par['dilations'] = tuple(self.par['dilations'])

    def threshold(self):
        """The background threshold (resolving ``'best'``)."""
        if self.bg_thr != 'best':
            return self.bg_thr
        if not osp.isfile(self.cam_eval):
            raise FileNotFoundError(f'CAM evaluation not found: '
                                    f'{self.cam_eval} (run tools/eval_cam.py '
                                    '--out-json first)')
        with open(self.cam_eval) as f:
            data = json.load(f)
        if 'best_threshold' not in data:
            raise ValueError(f'{self.cam_eval}: no "best_threshold"')
        return float(data['best_threshold'])


def make_label(keys, cams, bg_thr, image=None, method='none', **par_cfg):
    """Label map (uint8) of one image's CAMs; ``image`` (H x W x 3 RGB) is
    needed for ``method='par'``."""
    scores = cam_scores_with_background(cams, bg_thr)
    if method == 'par' and len(keys):
        import torch

        from mmwsss.cam.pixel_adaptive_refinement import \
            pixel_adaptive_refine
        if image is None:
            raise ValueError('PAR refinement needs the image')
        img = torch.from_numpy(np.ascontiguousarray(
            image.transpose(2, 0, 1))).float()
        with torch.no_grad():
            scores = pixel_adaptive_refine(img, torch.from_numpy(scores),
                                           **par_cfg).numpy()
    elif method not in METHODS:
        raise ValueError(f'unknown expansion method {method!r}')
    return scores_to_label(scores, keys)


class ExpandOne:
    """The per-image work of the stage (picklable-free: reaches the pool
    workers through the fork)."""

    def __init__(self, settings, bg_thr):
        self.s = settings
        self.bg_thr = bg_thr
        self.img_dir = root_path(settings.data_root, settings.img_dir)

    def __call__(self, img_id):
        s = self.s
        cam_path = osp.join(s.cam_dir, img_id + '.npz')
        keys, cams = load_cam_npz(cam_path)
        image = None
        if s.method == 'par':
            img_path = osp.join(self.img_dir, img_id + s.img_suffix)
            image = read_image(img_path)[..., ::-1]
            if image.shape[:2] != cams.shape[1:]:
                raise ValueError(f'{cam_path}: CAMs of size {cams.shape[1:]}'
                                 f' but the image {img_path} is '
                                 f'{image.shape[:2]}')
        label = make_label(keys, cams, self.bg_thr, image, s.method,
                           **(s.par if s.method == 'par' else {}))
        save_label_png(osp.join(s.out, img_id + '.png'), label)


def run_expand(settings):
    """Write the pseudo-labels of ``settings.split``; returns a summary."""
    from mmwsss.utils.sharding import ShardedJob, barrier
    s = settings
    split_file, ids = read_split(s.data_root, s.split)
    require_files(s.cam_dir, ids, '.npz', 'CAM', split_file)
    bg_thr = s.threshold()
    os.makedirs(s.out, exist_ok=True)
    job = ShardedJob(
        ids, lambda i: [osp.join(s.out, i + '.png')], out_dir=s.out,
        overwrite=s.overwrite, inputs=dict(list=split_file, cams=s.cam_dir),
        settings=dict(manifest_settings(s, 'expand', ('cam_dir', 'cam_eval')),
                      bg_thr=bg_thr))
    start = time.time()
    if s.nproc > 1 and s.method == 'par':
        import torch
        torch.set_num_threads(1)
    job.run(ExpandOne(s, bg_thr),
            num_workers=s.nproc if s.nproc > 1 else 0, desc='pseudo-labels')
    barrier()
    return dict(split=split_file, num_images=len(ids), out=s.out,
                rank=job.rank, bg_thr=bg_thr, method=s.method,
                seconds=time.time() - start)
