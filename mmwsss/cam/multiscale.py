"""Class activation maps from a 1x1 classifier, IRN's multi-scale protocol.

Pure torch (no OpenMMLab import), used by ``CAMHead`` and
``tools/run_cam.py``:

* :func:`class_activation` -- ``F = W * X`` (paper eq. 2 before the ReLU):
  the bias-free 1x1 classifier applied at every position of a feature map;
* :func:`normalize_cams` -- ``ReLU(F^c) / max ReLU(F^c)`` per class;
* :func:`multiscale_cam` -- scales (1.0, 0.5, 1.5, 2.0) x horizontal flip,
  ReLU maps summed at image size, then normalised per class (IRN,
  ``run_cam.py``): the maps of each scale are upsampled to the feature grid
  of scale 1.0 times the output stride and cropped to the image, so pixel
  centres line up whatever the image size.
"""
import math

import torch
import torch.nn.functional as F

#: IRN's inference scales
DEFAULT_SCALES = (1.0, 0.5, 1.5, 2.0)


def class_activation(feats, weight):
    """Raw class maps ``F`` (B x C x h x w) of features ``feats``
    (B x D x h x w) under a bias-free 1x1 classifier ``weight`` (C x D x 1 x 1
    or C x D)."""
    if weight.dim() == 2:
        weight = weight[:, :, None, None]
    return F.conv2d(feats, weight)


def normalize_cams(cams, eps=1e-5):
    """``ReLU(F^c) / (max ReLU(F^c) + eps)`` over the last two dims, per
    map: values in [0, 1); an all-zero map stays zero."""
    cams = F.relu(cams)
    peak = cams.flatten(-2).amax(-1)[..., None, None]
    return cams / (peak + eps)


def scaled_size(size, scale):
    """``(round(h * s), round(w * s))``, at least 1 pixel (IRN's rescale)."""
    return tuple(max(1, int(round(v * scale))) for v in size)


def multiscale_cam(forward, image, keys, scales=DEFAULT_SCALES, flip=True,
                   normalize=True):
    """Multi-scale + flip CAMs of one image for the classes in ``keys``.

    Args:
        forward (callable): batch (B x 3 x h x w) -> raw class maps
            (B x C x h' x w'), e.g. ``head.cam_logits(backbone(x))``.
        image (Tensor): the normalised image, 1 x 3 x H x W (or 3 x H x W).
        keys (Sequence[int] | Tensor): class indices (0-based, columns of
            the classifier) to keep.
        scales (Sequence[float]): image scales; each is run on the image and
            (with ``flip``) on its mirror in one batch of two.
        normalize (bool): divide each class map by its maximum.

    Returns:
        Tensor: K x H x W, float32; in [0, 1) when ``normalize``.
    """
    if image.dim() == 3:
        image = image[None]
    height, width = image.shape[-2:]
    keys = torch.as_tensor(keys, dtype=torch.long, device=image.device)
    total = image.new_zeros((1, keys.numel(), height, width))
    if keys.numel() == 0:
        return total[0]
    up_size = None
    for scale in scales:
        size = scaled_size((height, width), scale)
        x = image if size == (height, width) else F.interpolate(
            image, size=size, mode='bilinear', align_corners=False)
        if flip:
            x = torch.cat([x, x.flip(-1)])
        maps = F.relu(forward(x).index_select(1, keys))
        if flip:
            maps = maps[:1] + maps[1:].flip(-1)
        if up_size is None:
            # the output stride, from the feature grid of the first scale
            stride = max(math.ceil(size[0] / maps.shape[-2]),
                         math.ceil(size[1] / maps.shape[-1]))
            up_size = (math.ceil(height / stride) * stride,
                       math.ceil(width / stride) * stride)
        maps = F.interpolate(maps, size=up_size, mode='bilinear',
                             align_corners=False)
        total += maps[..., :height, :width]
    return normalize_cams(total[0]) if normalize else total[0]
