"""Procedural textures and anti-aliased drawing helpers for the toy world.

Pure numpy/OpenCV. Every function takes its randomness from a
``numpy.random.Generator`` passed by the caller, so a scene is a
deterministic function of its seed. Images are float32 H x W x 3 in
[0, 255] (RGB); alpha maps are float32 H x W in [0, 1].
"""
import colorsys

import cv2
import numpy as np

#: texture families shared by background clutter and object bodies; each
#: object class prefers one of them (weakly class-specific texture).
FAMILIES = ('cloud', 'stripes', 'dots', 'gradient', 'checker')

_SHIFT = 4  # sub-pixel bits for cv2 drawing
_ONE = 1 << _SHIFT


def coords(size, box=None):
    """Pixel-centre coordinates ``(x, y)`` of the whole ``size x size``
    image, or of ``box = (x0, y0, x1, y1)`` only; float32."""
    x0, y0, x1, y1 = box if box is not None else (0, 0, size, size)
    xx, yy = np.meshgrid(np.arange(x0, x1, dtype=np.float32),
                         np.arange(y0, y1, dtype=np.float32))
    return xx, yy


def alpha_box(alpha, pad=1):
    """Bounding box ``(x0, y0, x1, y1)`` of the non-zero part of an alpha
    map (padded), or ``None`` when it is empty."""
    rows = np.flatnonzero(alpha.any(1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(alpha.any(0))
    h, w = alpha.shape
    return (max(0, int(cols[0]) - pad), max(0, int(rows[0]) - pad),
            min(w, int(cols[-1]) + 1 + pad), min(h, int(rows[-1]) + 1 + pad))


def crop(array, box):
    """``array`` restricted to ``box`` (no copy)."""
    x0, y0, x1, y1 = box
    return array[y0:y1, x0:x1]


def random_colour(rng, sat=(0.25, 0.95), val=(0.3, 0.95)):
    """A random RGB colour (float, 0..255) from a wide HSV range."""
    h = rng.random()
    s = rng.uniform(*sat)
    v = rng.uniform(*val)
    return np.array(colorsys.hsv_to_rgb(h, s, v), np.float32) * 255.0


def shifted_colour(rng, colour, amount):
    """``colour`` moved by up to ``amount`` in value plus a small hue/tint
    change: the second colour of a low-contrast texture."""
    sign = 1.0 if rng.random() < 0.5 else -1.0
    delta = sign * rng.uniform(0.5, 1.0) * amount
    tint = rng.normal(0.0, amount * 0.25, 3)
    return np.clip(colour + delta + tint, 0, 255).astype(np.float32)


def mix(c1, c2, t):
    """Blend two colours with a weight map ``t`` (H x W, 0..1)."""
    c1 = np.asarray(c1, np.float32)
    return c1 + (np.asarray(c2, np.float32) - c1) * t[..., None]


def smooth_noise(rng, size, cells, box=None):
    """A smooth random field in [0, 1]: uniform noise on a ``cells`` grid,
    upsampled bicubically to the image (then cut to ``box``)."""
    cells = max(2, int(cells))
    low = rng.random((cells, cells)).astype(np.float32)
    up = cv2.resize(low, (size, size), interpolation=cv2.INTER_CUBIC)
    if box is not None:
        up = crop(up, box)
    return np.clip(up, 0.0, 1.0)


def weight_map(rng, size, family, scale, box=None):
    """The 0..1 pattern of a texture family over the image (or ``box``
    of it); ``scale`` (pixels) sets the period of the pattern."""
    xx, yy = coords(size, box)
    scale = max(float(scale), 2.0)
    if family == 'cloud':
        return smooth_noise(rng, size, size / scale + 2, box)
    if family == 'stripes':
        theta = rng.uniform(0, np.pi)
        u = xx * np.cos(theta) + yy * np.sin(theta)
        t = 0.5 + 0.5 * np.sin(2 * np.pi * u / scale + rng.uniform(0, 6.3))
        return np.clip((t - 0.5) * rng.uniform(1.0, 3.0) + 0.5, 0, 1)
    if family == 'dots':
        theta = rng.uniform(0, np.pi)
        u = xx * np.cos(theta) + yy * np.sin(theta) + rng.uniform(0, scale)
        v = -xx * np.sin(theta) + yy * np.cos(theta) + rng.uniform(0, scale)
        du = np.abs(np.mod(u, scale) - scale / 2)
        dv = np.abs(np.mod(v, scale) - scale / 2)
        dist = np.sqrt(du ** 2 + dv ** 2)
        radius = scale * rng.uniform(0.18, 0.32)
        return np.clip(radius - dist + 0.5, 0, 1)
    if family == 'gradient':
        cx, cy = rng.uniform(0, size, 2)
        dist = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2)
        return np.clip(dist / (size * rng.uniform(0.4, 1.0)), 0, 1)
    if family == 'checker':
        theta = rng.uniform(0, np.pi / 2)
        u = xx * np.cos(theta) + yy * np.sin(theta)
        v = -xx * np.sin(theta) + yy * np.cos(theta)
        cells = np.floor(u / scale) + np.floor(v / scale)
        return np.mod(cells, 2).astype(np.float32)
    raise ValueError(f'unknown texture family {family!r}')


def texture(rng, size, family, c1, c2, scale, noise=4.0, box=None):
    """A texture image of ``family`` between colours ``c1`` and ``c2``,
    with pixel noise of std ``noise``; over ``box`` only when given."""
    img = mix(c1, c2, weight_map(rng, size, family, scale, box))
    if noise > 0:
        img += noise * rng.standard_normal(img.shape, dtype=np.float32)
    return img


def composite(img, layer, alpha, box=None):
    """Alpha-blend ``layer`` over ``img`` in place (float arrays). With
    ``box``, ``layer`` covers only that box of ``img`` and ``alpha``."""
    if box is not None:
        img = crop(img, box)
        alpha = crop(alpha, box)
    a = alpha[..., None]
    img *= 1.0 - a
    img += layer * a
    return img


# --- anti-aliased drawing into 0..1 alpha maps -----------------------------

def _fixed(points):
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    return np.round(pts * _ONE).astype(np.int32).reshape(-1, 1, 2)


def _draw(size, fn):
    canvas = np.zeros((size, size), np.uint8)
    fn(canvas)
    return canvas.astype(np.float32) / 255.0


def poly_alpha(size, points):
    """Alpha map of a filled polygon (float vertex coordinates)."""
    return _draw(size, lambda c: cv2.fillPoly(
        c, [_fixed(points)], 255, lineType=cv2.LINE_AA, shift=_SHIFT))


def ellipse_alpha(size, centre, axes, angle=0.0):
    """Alpha map of a filled ellipse (half-axes ``axes``, angle in degrees)."""
    cx, cy = centre
    ax, ay = axes
    return _draw(size, lambda c: cv2.ellipse(
        c, (int(round(cx * _ONE)), int(round(cy * _ONE))),
        (max(1, int(round(ax * _ONE))), max(1, int(round(ay * _ONE)))),
        float(angle), 0, 360, 255, -1, lineType=cv2.LINE_AA, shift=_SHIFT))


def line_alpha(size, p0, p1, thickness):
    """Alpha map of a thick line segment."""
    return _draw(size, lambda c: cv2.line(
        c, tuple(int(round(v * _ONE)) for v in p0),
        tuple(int(round(v * _ONE)) for v in p1), 255,
        max(1, int(round(thickness))), lineType=cv2.LINE_AA, shift=_SHIFT))


def rect_points(cx, cy, w, h, angle=0.0):
    """Corners of a ``w x h`` rectangle centred at ``(cx, cy)`` rotated by
    ``angle`` radians."""
    local = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2],
                      [-w / 2, h / 2]])
    return transform(local, cx, cy, angle)


def transform(local, cx, cy, angle=0.0):
    """Rotate local points by ``angle`` radians and move them to
    ``(cx, cy)``."""
    c, s = np.cos(angle), np.sin(angle)
    rot = np.array([[c, -s], [s, c]])
    return np.asarray(local, np.float64) @ rot.T + np.array([cx, cy])
