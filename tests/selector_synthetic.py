"""SYNTHETIC stand-ins for the stage 1-4 outputs, made from ground truth.

Used by the selector tests (and for the selector's synthetic toy numbers)
when the real CAM and SOD stages are not wanted. Nothing here is a model:

* CAMs (``cams/<id>.npz``): for each class of the image-level label, a map
  that peaks inside the object and decays towards its border (the
  discriminative part: square root of the normalised distance transform)
  plus a blurred halo that leaks past the border; trains also leak onto
  the track below them (CAMs of trains fire on rails).
* CAM pseudo-labels (``pseudo_cam/<id>.png``): argmax over {background
  threshold ``cam_thr``, CAMs}; pixels whose best CAM lies within
  ``band`` below the threshold are 255 (undecided).
* saliency (``saliency/<id>.png``): the ground-truth foreground, blurred,
  scaled by a per-class strength (``chair`` weakly salient), with a
  salient distractor blob on the background in a fraction of images and
  speckle noise.

Deterministic for a given seed.
"""
import os
import os.path as osp

import numpy as np
from scipy import ndimage

from mmwsss.utils.io import (load_label_png, read_image_list, save_cam_npz,
                             save_grey_png, save_label_png)
from mmwsss.datasets.voc_layout import load_cls_labels

#: saliency strength per toy class name (others 0.95)
SALIENCY_STRENGTH = dict(chair=0.55, bottle=0.85)
RAIL_CLASS = 'train'


def synth_cams(gt, img_label, class_names, rng, ignore_index=255):
    """Stand-in CAMs ``(keys, cams)`` of one image."""
    h, w = gt.shape
    keys = np.flatnonzero(np.asarray(img_label) > 0.5)
    cams = np.zeros((keys.size, h, w), np.float32)
    sigma = max(1.0, 0.04 * max(h, w))
    for k, key in enumerate(keys):
        region = gt == key + 1
        if not region.any():
            # a label the mask does not hold (VOC's ~7%): a weak blob
            y, x = rng.integers(0, h), rng.integers(0, w)
            region = np.zeros_like(region)
            region[max(0, y - h // 8):y + h // 8,
                   max(0, x - w // 8):x + w // 8] = True
            scale = 0.5
        else:
            scale = 1.0
        dist = ndimage.distance_transform_edt(region)
        core = np.sqrt(dist / max(dist.max(), 1.0))
        # the leak past the border scales with the object (8 px for a
        # 36 px object, as on the toy data this was first written for)
        halo = ndimage.gaussian_filter(region.astype(np.float32), max(
            2 * sigma, 0.25 * np.sqrt(region.sum())))
        cam = np.maximum(core, 0.8 * halo / max(halo.max(), 1e-6))
        if class_names[key] == RAIL_CLASS:
            ys = np.flatnonzero(region.any(1))
            bottom = ys.max() if ys.size else h - 1
            leak = np.zeros_like(cam)
            leak[bottom:min(h, bottom + max(2, h // 12)), :] = 0.6
            cam = np.maximum(cam, ndimage.gaussian_filter(leak, sigma))
        cam *= rng.uniform(0.85, 1.0, size=cam.shape).astype(np.float32)
        cams[k] = scale * cam / max(cam.max(), 1e-6)
    return keys, np.clip(cams, 0, 1)


def cam_to_label(keys, cams, shape, cam_thr=0.3, band=0.05,
                 ignore_index=255):
    """IRN-style expansion without refinement: argmax over {cam_thr, CAMs},
    255 where the best CAM lies in [cam_thr - band, cam_thr)."""
    if keys.size == 0:
        return np.zeros(shape, np.uint8)
    stack = np.concatenate([np.full((1, *shape), cam_thr, np.float32), cams])
    arg = stack.argmax(0)
    label = np.where(arg > 0, keys[np.maximum(arg - 1, 0)] + 1, 0)
    best = cams.max(0)
    label[(arg == 0) & (best >= cam_thr - band)] = ignore_index
    return label.astype(np.uint8)


def synth_saliency(gt, class_names, rng, distractor_prob=0.2,
                   ignore_index=255):
    """Stand-in saliency map (uint8) of one image."""
    h, w = gt.shape
    sal = np.zeros((h, w), np.float32)
    sigma = max(0.8, 0.015 * max(h, w))
    for c in np.unique(gt):
        if c == 0 or c == ignore_index:
            continue
        strength = SALIENCY_STRENGTH.get(class_names[c - 1], 0.95)
        strength *= rng.uniform(0.8, 1.05)
        sal = np.maximum(sal, strength * ndimage.gaussian_filter(
            (gt == c).astype(np.float32), sigma))
    boundary = gt == ignore_index
    sal[boundary] = np.maximum(sal[boundary], 0.6)
    if rng.random() < distractor_prob:
        r = rng.integers(max(2, h // 10), max(3, h // 5))
        y, x = rng.integers(0, h), rng.integers(0, w)
        yy, xx = np.ogrid[:h, :w]
        blob = ((yy - y) ** 2 + (xx - x) ** 2 <= r * r) & (gt == 0)
        sal[blob] = np.maximum(sal[blob], rng.uniform(0.6, 0.95))
    sal += rng.normal(0, 0.03, size=sal.shape).astype(np.float32)
    return (np.clip(sal, 0, 1) * 255 + 0.5).astype(np.uint8)


def make_standins(voc_root, split, out_dir, class_names, seed=0,
                  cam_thr=0.3, distractor_prob=0.2):
    """Write ``out_dir/{cams,pseudo_cam,saliency}`` for a split; returns
    the three folders."""
    ids = read_image_list(osp.join(voc_root, 'ImageSets', 'Segmentation',
                                   f'{split}.txt'))
    cls = load_cls_labels(osp.join(voc_root, 'cls_labels.npy'))
    dirs = [osp.join(out_dir, d) for d in ('cams', 'pseudo_cam',
                                           'saliency')]
    for d in dirs:
        os.makedirs(d, exist_ok=True)
    for i, img_id in enumerate(ids):
        rng = np.random.default_rng([seed, i])
        gt = load_label_png(osp.join(voc_root, 'SegmentationClassAug',
                                     f'{img_id}.png'))
        keys, cams = synth_cams(gt, cls[img_id], class_names, rng)
        save_cam_npz(osp.join(dirs[0], f'{img_id}.npz'), keys, cams)
        save_label_png(osp.join(dirs[1], f'{img_id}.png'),
                       cam_to_label(keys, cams, gt.shape, cam_thr))
        save_grey_png(osp.join(dirs[2], f'{img_id}.png'),
                      synth_saliency(gt, class_names, rng, distractor_prob))
    return dirs
