"""IRN step 1: CAMs -> relation labels (``<out>/<id>.png``: 0 background,
c + 1 class c, 255 unknown), a per-image job
(:class:`mmwsss.utils.ShardedJob`)."""
import os.path as osp
import time

import numpy as np

from mmwsss.utils import ShardedJob, save_label_png

from .irn_inputs import _argmax_label, _check_cams, _load_cams, _read_rgb
from .irn_settings import REFINEMENTS, RelationLabelSettings, _record_settings
from .relation_labels import (combine_relation_label, key_lut, plane_index,
                              plane_label)


def relation_label_of(keys, cams, settings, image=None):
    """Relation label map (uint8) of one image's CAMs (K x H x W);
    ``image`` (H x W x 3 RGB, 0..255) is needed for ``refine='par'`` and
    ``'crf'``."""
    s = settings
    if s.refine not in REFINEMENTS:
        raise ValueError(f'unknown refinement {s.refine!r} {REFINEMENTS}')
    if s.refine == 'none' or len(keys) == 0:
        return combine_relation_label(
            plane_label(keys, cams, s.relation_fg_thr),
            plane_label(keys, cams, s.relation_bg_thr))
    if image is None:
        raise ValueError(f'refine={s.refine!r} needs the image')
    if s.refine == 'crf':
        from mmwsss.cam.dense_crf import dense_crf_label_scaled
        lut = key_lut(keys)
        labels = [lut[dense_crf_label_scaled(image, plane_index(cams, thr),
                                             len(keys) + 1, s.crf_scale)]
                  for thr in (s.relation_fg_thr, s.relation_bg_thr)]
        return combine_relation_label(*labels)
    import torch

    from mmwsss.cam import pixel_adaptive_refine
    img = torch.from_numpy(image.transpose(2, 0, 1).copy()).float()
    cams_t = torch.from_numpy(np.asarray(cams, np.float32))
    labels = []
    for thr in (s.relation_fg_thr, s.relation_bg_thr):
        scores = torch.cat([torch.full_like(cams_t[:1], thr), cams_t])
        with torch.no_grad():
            scores = pixel_adaptive_refine(img, scores, num_iter=s.par_iters)
        labels.append(_argmax_label(keys, scores.numpy()))
    return combine_relation_label(*labels)


def relation_label_image(img_id, cam_dir, img_dir, out_dir, settings,
                         label_keys=None):
    """Write ``<out_dir>/<img_id>.png``, the relation label of one image."""
    cam_path = osp.join(cam_dir, img_id + '.npz')
    keys, cams = _load_cams(cam_path, img_id, label_keys)
    image = None
    if settings.refine in ('par', 'crf'):
        img_path = osp.join(img_dir, img_id + settings.img_suffix)
        image = _read_rgb(img_path)
        if image.shape[:2] != cams.shape[1:]:
            raise ValueError(f'{cam_path}: CAMs of size {cams.shape[1:]} but '
                             f'the image {img_path} is {image.shape[:2]}')
    label = relation_label_of(keys, cams, settings, image)
    save_label_png(osp.join(out_dir, img_id + '.png'), label)


_JOB = {}


def _relation_job(img_id):
    j = _JOB
    return relation_label_image(img_id, j['cam_dir'], j['img_dir'],
                                j['out_dir'], j['settings'],
                                j['label_keys'])


def make_relation_labels(ids, cam_dir, img_dir, out_dir, settings=None,
                         num_workers=0, rank=None, world_size=None,
                         label_keys=None):
    """Step 1 over a list of image ids (resumable, sharded, atomic);
    ``label_keys``: img_id -> ``(class indices, label file)``, or None.

    Returns:
        dict: ``num_images``, ``done`` (already there), ``seconds``.
    """
    settings = settings or RelationLabelSettings()
    if settings.refine == 'crf':
        from mmwsss.cam.dense_crf import CRF_EXTRA, dense_crf_available
        if not dense_crf_available():
            raise ImportError("relation labels with refine='crf' need "
                              f'pydensecrf2, which is not installed: '
                              f'{CRF_EXTRA}')
    _check_cams(ids, cam_dir)
    _record_settings(out_dir, 'relation_labels', settings, cam_dir=cam_dir)
    job = ShardedJob(ids, lambda i: [osp.join(out_dir, i + '.png')], rank,
                     world_size)
    start = time.time()
    _JOB.clear()
    _JOB.update(cam_dir=cam_dir, img_dir=img_dir, out_dir=out_dir,
                settings=settings, label_keys=label_keys)
    job.run(_relation_job, num_workers=num_workers, desc='relation labels')
    return dict(num_images=len(job.ids), done=len(job.ids) - len(job.todo),
                seconds=time.time() - start)
