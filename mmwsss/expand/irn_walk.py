"""IRN step 3: the boundary map of every image -> path affinities ->
random walk of its CAMs -> pseudo-label (``<out>/<id>.png``, VOC
palette), a per-image job (:class:`mmwsss.utils.ShardedJob`)."""
import os.path as osp
import time

import numpy as np

from mmwsss.utils import ShardedJob, save_label_png

from .irn_inputs import _argmax_label, _check_cams, _load_cams, _read_rgb
from .irn_settings import RandomWalkSettings, _record_settings

#: the job of the forked workers (set by :func:`propagate_cams`)
_JOB = {}


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
