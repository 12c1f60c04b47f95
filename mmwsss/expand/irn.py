"""IRN's learned expansion (stage 3) as package functions.

`Weakly Supervised Learning of Instance Segmentation with Inter-pixel
Relations` (Ahn et al., CVPR 2019). The stage runs in three steps:

1. :func:`make_relation_labels`: CAMs -> relation labels
   (``<out>/<id>.png``: 0 background, c + 1 class c, 255 unknown);
2. ``tools/train.py configs/irn/...``: the relation network (a backbone and
   :class:`mmwsss.models.decode_heads.ClassBoundaryHead`) learns class
   boundaries from pixel pairs of the relation labels;
3. :func:`propagate_cams`: the boundary map of every image -> path
   affinities -> random walk of its CAMs -> pseudo-label
   (``<out>/<id>.png``, VOC palette).

Steps 1 and 3 are per-image jobs (:class:`mmwsss.utils.ShardedJob`): every
output is written atomically, images whose output exists are skipped (a
killed run resumes), ranks under torchrun split the images, ``num_workers``
processes split a rank's images. The per-image work is a plain function of
the image id (:func:`relation_label_image`, :func:`propagate_image`). Each
job records its settings in ``<out>/expand_settings.json``.
"""
import dataclasses
import json
import os
import os.path as osp
import time

import numpy as np

from mmwsss.utils import ShardedJob, load_cam_npz, save_label_png
from mmwsss.utils.io import atomic_write

from .relation_labels import (DEFAULT_RELATION_BG_THR, DEFAULT_RELATION_FG_THR,
                              combine_relation_label, key_lut, plane_index,
                              plane_label)
from .random_walk import DEFAULT_BETA, DEFAULT_EXP_TIMES, DEFAULT_RADIUS

#: refinements of the two thresholded maps of step 1
REFINEMENTS = ('none', 'crf', 'par')
#: IRN's background threshold of the propagated maps (sem_seg_bg_thres)
DEFAULT_WALK_BG_THR = 0.25


@dataclasses.dataclass
class RelationLabelSettings:
    """Settings of step 1 (IRN's values by default).

    Attributes:
        relation_fg_thr: CAM score of confident foreground (IRN
            ``conf_fg_thres``).
        relation_bg_thr: CAM score below which every class is confident
            background (IRN ``conf_bg_thres``).
        refine: ``'none'``, ``'crf'`` (IRN: each of the two argmax maps
            smoothed by IRN's label CRF, :func:`mmwsss.cam.dense_crf_label`;
            needs pydensecrf2) or ``'par'`` (both score stacks {plane, CAMs}
            refined by the pixel-adaptive refinement before the argmax).
        par_iters: PAR steps.
        crf_scale: image scale at which ``refine='crf'`` runs (1, IRN: the
            image's own size). Below 1 the image and the two label maps are
            resized by it (area / nearest), the CRF's spatial stds are
            multiplied by it (the kernels span the same part of the
            picture) and the result is resized back (nearest): 0.5 costs
            about a quarter of the full-size CRF (see
            :func:`mmwsss.cam.dense_crf.dense_crf_label_scaled`).
        img_suffix: image file suffix (for ``refine='par'`` / ``'crf'``).
    """
    relation_fg_thr: float = DEFAULT_RELATION_FG_THR
    relation_bg_thr: float = DEFAULT_RELATION_BG_THR
    refine: str = 'none'
    par_iters: int = 10
    crf_scale: float = 1.0
    img_suffix: str = '.jpg'


@dataclasses.dataclass
class RandomWalkSettings:
    """Settings of step 3 (IRN's values by default).

    Attributes:
        radius: neighbourhood of the walk, in boundary-map cells (IRN 5).
        beta: power of the affinities (IRN 10).
        exp_times: the walk takes ``2 ** exp_times`` steps (IRN 8).
        ref_cells: None (IRN): the steps above for every image. A number:
            ``2 ** exp_times`` steps on a boundary map of ``ref_cells``
            cells, in proportion to its cell count on the others
            (:func:`mmwsss.expand.random_walk.walk_steps`; e.g. 11750, a
            500 x 375 VOC image at stride 4, keeps IRN's walk on VOC).
        walk_bg_thr: background score after the walk (IRN
            ``sem_seg_bg_thres`` 0.25), the walked maps being divided by
            their maximum.
        bg_power: None (IRN): the background is the constant
            ``walk_bg_thr``. A number p: a background plane
            ``(1 - max_c CAM_c) ** p`` walks with the CAMs (the later
            IRN-based methods' variant) and ``walk_bg_thr`` is not used.
        flip: average the boundary logits of the image and its mirror (IRN).
        device: torch device of the network and the walk.
        img_suffix: image file suffix.
    """
    radius: int = DEFAULT_RADIUS
    beta: float = DEFAULT_BETA
    exp_times: int = DEFAULT_EXP_TIMES
    ref_cells: float = None
    walk_bg_thr: float = DEFAULT_WALK_BG_THR
    bg_power: float = None
    flip: bool = True
    device: str = 'cpu'
    img_suffix: str = '.jpg'


def _record_settings(out_dir, step, settings, **extra):
    os.makedirs(out_dir, exist_ok=True)
    record = dict(step=step, settings=dataclasses.asdict(settings), **extra)
    with atomic_write(osp.join(out_dir, 'expand_settings.json')) as tmp:
        with open(tmp, 'w') as f:
            json.dump(record, f, indent=2)


def _read_rgb(path):
    from mmwsss.utils.io import read_image  # strict, EXIF ignored
    return np.ascontiguousarray(read_image(path)[..., ::-1])


# ----------------------------------------------------------------- step 1
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


def _argmax_label(keys, scores):
    lut = np.concatenate([[0], np.asarray(keys) + 1]).astype(np.uint8)
    return lut[np.argmax(scores, axis=0)]


def _load_cams(cam_path, img_id, label_keys):
    """``(keys, cams)``; CAMs of classes outside ``label_keys(img_id)``
    are refused, naming the file (:func:`load_cam_npz`)."""
    return load_cam_npz(cam_path,
                        *(label_keys(img_id) if label_keys else (None, None)))


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


def _check_cams(ids, cam_dir):
    if not osp.isdir(cam_dir):
        raise FileNotFoundError(f'CAM folder not found: {cam_dir}')
    missing = [i for i in ids if not osp.isfile(osp.join(cam_dir, i + '.npz'))]
    if missing:
        raise FileNotFoundError(
            f'{len(missing)} of {len(ids)} images have no CAM file in '
            f'{cam_dir}, e.g. {osp.join(cam_dir, missing[0] + ".npz")}')


# ----------------------------------------------------------------- step 3
class BoundaryModel:
    """A trained relation network as a function RGB image -> boundary map
    (h x w in [0, 1] at the head's stride, IRN's ``EdgeDisplacement``)."""

    def __init__(self, config, checkpoint, device='cpu', cfg_options=None):
        import torch
        from mmengine.config import Config
        from mmengine.registry import init_default_scope
        from mmengine.runner import load_checkpoint

        import mmwsss  # noqa: F401  (registers the components)
        cfg = Config.fromfile(config) if isinstance(config, str) else config
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        init_default_scope(cfg.get('default_scope', 'mmseg'))
        from mmseg.registry import MODELS
        cfg.model.backbone.init_cfg = None
        model = MODELS.build(cfg.model)
        if not osp.isfile(checkpoint):
            raise FileNotFoundError(f'checkpoint not found: {checkpoint}')
        load_checkpoint(model, checkpoint, map_location='cpu',
                        logger='silent')
        self.model = model.to(device).eval()
        self.device = device
        pre = model.data_preprocessor
        self.mean = pre.mean.detach().float().view(1, -1, 1, 1).to(device)
        self.std = pre.std.detach().float().view(1, -1, 1, 1).to(device)
        self.torch = torch

    def __call__(self, rgb, flip=True):
        torch = self.torch
        x = torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1)))
        x = (x.to(self.device, torch.float32)[None] - self.mean) / self.std
        if flip:
            x = torch.cat([x, x.flip(-1)])
        with torch.inference_mode():
            logits = self.model.decode_head(self.model.extract_feat(x))
        logits = logits[:, 0]
        if flip:
            logits = logits[:1] / 2 + logits[1:].flip(-1) / 2
        return torch.sigmoid(logits[0])


def expand_cams(keys, cams, edge, settings, stride=4):
    """IRN's ``make_sem_seg_labels`` for one image.

    Args:
        keys (array): K present classes (0-based).
        cams (array): K x H x W CAMs in [0, 1] at image size.
        edge (Tensor): h x w boundary map, ``h = ceil(H / stride)``.

    Returns:
        ndarray: H x W uint8 label map (0 background, c + 1 class c).
    """
    import torch
    import torch.nn.functional as F

    from .random_walk import propagate
    s = settings
    height, width = cams.shape[1:]
    if len(keys) == 0:
        return np.zeros((height, width), np.uint8)
    x = torch.from_numpy(np.asarray(cams, np.float32)).to(edge.device)
    small = edge.shape[-2:]
    # IRN's strided CAM: at the boundary map's size, each class / its max
    x = F.interpolate(x[None], size=small, mode='bilinear',
                      align_corners=False, antialias=True)[0]
    x = x / (x.flatten(1).amax(1).view(-1, 1, 1) + 1e-5)
    if s.bg_power is not None:
        x = torch.cat([(1 - x.amax(0, keepdim=True)).pow(s.bg_power), x])
    rw = propagate(x, edge, s.radius, s.beta, s.exp_times, s.ref_cells)
    up = F.interpolate(rw[None], scale_factor=stride, mode='bilinear',
                       align_corners=False)[0, :, :height, :width]
    if up.shape[-2:] != (height, width):
        raise ValueError(f'boundary map {tuple(small)} x stride {stride} '
                         f'does not cover the CAMs ({height} x {width})')
    up = up / up.max().clamp_min(1e-5)
    if s.bg_power is None:
        up = torch.cat([torch.full_like(up[:1], s.walk_bg_thr), up])
    return _argmax_label(keys, up.cpu().numpy())


def propagate_image(img_id, model, cam_dir, img_dir, out_dir, settings,
                    label_keys=None):
    """Write ``<out_dir>/<img_id>.png``, the expanded pseudo-label of one
    image (``model``: a :class:`BoundaryModel`)."""
    cam_path = osp.join(cam_dir, img_id + '.npz')
    img_path = osp.join(img_dir, img_id + settings.img_suffix)
    keys, cams = _load_cams(cam_path, img_id, label_keys)
    rgb = _read_rgb(img_path)
    if rgb.shape[:2] != cams.shape[1:]:
        raise ValueError(f'{cam_path}: CAMs of size {cams.shape[1:]} but the '
                         f'image {img_path} is {rgb.shape[:2]}')
    edge = model(rgb, settings.flip)
    stride = -(-rgb.shape[0] // edge.shape[0])
    label = expand_cams(keys, cams, edge, settings, stride=stride)
    save_label_png(osp.join(out_dir, img_id + '.png'), label)


def _propagate_job(img_id):
    j = _JOB
    return propagate_image(img_id, j['model'], j['cam_dir'], j['img_dir'],
                           j['out_dir'], j['settings'], j['label_keys'])


def propagate_cams(ids, cam_dir, img_dir, out_dir, config, checkpoint,
                   settings=None, num_workers=0, rank=None, world_size=None,
                   cfg_options=None, label_keys=None):
    """Step 3 over a list of image ids (resumable, sharded, atomic): the
    relation network ``config``/``checkpoint`` gives each image's boundary
    map, the CAMs of ``cam_dir`` are walked on it (``label_keys`` as in
    :func:`make_relation_labels`).

    Returns:
        dict: ``num_images``, ``done`` (already there), ``seconds``.
    """
    settings = settings or RandomWalkSettings()
    _check_cams(ids, cam_dir)
    _record_settings(out_dir, 'random_walk', settings, cam_dir=cam_dir,
                     config=str(config), checkpoint=str(checkpoint))
    job = ShardedJob(ids, lambda i: [osp.join(out_dir, i + '.png')], rank,
                     world_size)
    start = time.time()
    if job.todo:
        model = BoundaryModel(config, checkpoint, settings.device,
                              cfg_options)
        _JOB.clear()
        _JOB.update(model=model, cam_dir=cam_dir, img_dir=img_dir,
                    out_dir=out_dir, settings=settings,
                    label_keys=label_keys)
        job.run(_propagate_job, num_workers=num_workers,
                desc='random walk')
    return dict(num_images=len(job.ids), done=len(job.ids) - len(job.todo),
                seconds=time.time() - start)
