"""The six object classes of the toy world: geometry and discriminative
parts.

Each ``<class>_geometry(rng, size, cx, cy, extent)`` returns a
:class:`Shape`: the anti-aliased alpha of the whole object, the alpha of
its discriminative part (the *marker*, ~20-35 % of the object and spread
over it, a fixed class-specific colour pattern) and the 0..1 pattern that
mixes the marker's two colours. Body colours and textures are chosen later
(:mod:`.scene`), from the same distribution as the background clutter, so
that only the shape and the marker are strongly class-specific.
"""
from dataclasses import dataclass, field

import numpy as np

from mmwsss.datasets.toy_metainfo import TOY_CLASSES

from .textures import (coords, ellipse_alpha, line_alpha, poly_alpha,
                       rect_points, transform)

#: foreground classes, index 1..6 (index 0 is background): the package's
#: one definition (mmwsss.datasets.toy_metainfo, no torch/mm import)
CLASS_NAMES = TOY_CLASSES[1:]

#: the marker's two colours per class (RGB); chair's are relative to the
#: local background (see :mod:`.scene`) and are ``None`` here
MARKER_COLOURS = {
    'ball': ((225, 35, 190), (245, 245, 245)),   # magenta disk, white ring
    'box': ((240, 240, 240), (20, 20, 20)),      # white square, black X
    'star': ((250, 215, 0), (200, 20, 20)),      # yellow disk, red dot
    'train': ((255, 120, 0), (15, 15, 15)),      # orange/black hazard nose
    'bottle': ((40, 200, 60), (245, 245, 245)),  # green foil neck and cap
    'chair': None,                          # checker on top rail and seat
}

#: the texture family each class's body prefers (weakly class-specific)
PREFERRED_TEXTURE = {
    'ball': 'gradient', 'box': 'stripes', 'star': 'dots', 'train': 'checker',
    'bottle': 'gradient', 'chair': 'cloud'
}


@dataclass
class Shape:
    """Geometry of one object instance (float maps over the whole image)."""
    name: str
    alpha: np.ndarray
    marker: np.ndarray
    pattern: np.ndarray
    details: list = field(default_factory=list)  # (alpha, kind) painted
    rail_y: float = None  # train: top of the rail its wheels stand on

    @property
    def label(self):
        return CLASS_NAMES.index(self.name) + 1


def _local_coords(size, cx, cy, angle):
    """Object-frame coordinates (u along the object's x axis, v along its
    y axis) of every pixel."""
    xx, yy = coords(size)
    c, s = np.cos(angle), np.sin(angle)
    dx, dy = xx - cx, yy - cy
    return dx * c + dy * s, -dx * s + dy * c


def ball_geometry(rng, size, cx, cy, extent):
    r = extent / 2
    alpha = ellipse_alpha(size, (cx, cy), (r, r))
    rho = 0.5 * r
    phi = rng.uniform(0, 2 * np.pi)
    mx, my = cx + 0.2 * r * np.cos(phi), cy + 0.2 * r * np.sin(phi)
    marker = np.minimum(ellipse_alpha(size, (mx, my), (rho, rho)), alpha)
    ring = (ellipse_alpha(size, (mx, my), (0.6 * rho, 0.6 * rho))
            - ellipse_alpha(size, (mx, my), (0.3 * rho, 0.3 * rho)))
    return Shape('ball', alpha, marker, np.clip(ring, 0, 1))


def box_geometry(rng, size, cx, cy, extent):
    angle = np.deg2rad(rng.uniform(-25, 25))
    aspect = rng.uniform(0.7, 1.0)
    span = abs(np.cos(angle)) + abs(np.sin(angle))
    a = extent / span
    b = a * aspect
    if rng.random() < 0.5:
        a, b = b, a
    alpha = poly_alpha(size, rect_points(cx, cy, a, b, angle))
    m = 0.45 * min(a, b)
    jx, jy = rng.uniform(-0.1, 0.1, 2)
    mc = transform([[jx * a, jy * b]], cx, cy, angle)[0]
    marker = np.minimum(
        poly_alpha(size, rect_points(mc[0], mc[1], m, m, angle)), alpha)
    corners = transform([[-m / 2, -m / 2], [m / 2, m / 2], [m / 2, -m / 2],
                         [-m / 2, m / 2]], mc[0], mc[1], angle)
    thick = max(1.0, 0.22 * m)
    cross = np.maximum(line_alpha(size, corners[0], corners[1], thick),
                       line_alpha(size, corners[2], corners[3], thick))
    edge = max(1.0, 0.05 * min(a, b))
    outline = alpha - poly_alpha(
        size, rect_points(cx, cy, a - 2 * edge, b - 2 * edge, angle))
    return Shape('box', alpha, marker, cross * marker,
                 details=[(np.clip(outline, 0, 1), 'shade')])


def star_geometry(rng, size, cx, cy, extent):
    r_out = extent / 2
    r_in = r_out * rng.uniform(0.5, 0.58)
    rot = rng.uniform(0, 2 * np.pi)
    ang = rot + np.arange(10) * np.pi / 5
    rad = np.where(np.arange(10) % 2 == 0, r_out, r_in)
    pts = np.stack([cx + rad * np.cos(ang), cy + rad * np.sin(ang)], 1)
    alpha = poly_alpha(size, pts)
    rho = 0.36 * r_out
    marker = np.minimum(ellipse_alpha(size, (cx, cy), (rho, rho)), alpha)
    dot = ellipse_alpha(size, (cx, cy), (0.4 * rho, 0.4 * rho))
    return Shape('star', alpha, marker, dot)


def train_geometry(rng, size, cx, rail_y, length):
    """A locomotive seen from the side, its wheels on a rail at
    ``rail_y``; its nose and tail carry orange/black hazard stripes."""
    h = 0.34 * length
    rw = 0.2 * h
    yb = rail_y - rw  # bottom of the body = wheel axles
    d = 1.0 if rng.random() < 0.5 else -1.0  # facing right or left
    half = length / 2

    def pts(local):
        local = np.asarray(local, np.float64)
        return np.stack([cx + d * local[:, 0], yb + local[:, 1]], 1)

    body = pts([[-half, -h], [half - 0.12 * length, -h], [half, -0.55 * h],
                [half, 0], [-half, 0]])
    alpha = poly_alpha(size, body)
    nose = 0.15 * length
    tail = 0.1 * length
    marker = np.minimum(np.maximum(
        poly_alpha(size, pts([[half - nose, -h - 1], [half + 1, -h - 1],
                              [half + 1, 1], [half - nose, 1]])),
        poly_alpha(size, pts([[-half - 1, -h - 1], [-half + tail, -h - 1],
                              [-half + tail, 1], [-half - 1, 1]]))), alpha)
    u, v = _local_coords(size, cx, yb, 0.0)
    period = max(3.0, 0.07 * length)
    hazard = (np.mod((d * u + v) / period, 1.0) < 0.5).astype(np.float32)
    details = []
    n_win = int(rng.integers(3, 6))
    if rng.random() < 0.8:
        win_w = 0.6 * (length - nose - tail - 0.1 * length) / n_win
        xs = np.linspace(-half + tail + 0.04 * length + win_w / 2,
                         half - nose - 0.06 * length - win_w / 2, n_win)
        windows = np.zeros((size, size), np.float32)
        for x in xs:
            windows = np.maximum(windows, poly_alpha(size, pts(
                [[x - win_w / 2, -0.82 * h], [x + win_w / 2, -0.82 * h],
                 [x + win_w / 2, -0.5 * h], [x - win_w / 2, -0.5 * h]])))
        details.append((windows, 'dark'))
    n_wheel = int(rng.integers(3, 6))
    wheels = np.zeros((size, size), np.float32)
    hubs = np.zeros((size, size), np.float32)
    for x in np.linspace(-half + 0.12 * length, half - 0.12 * length,
                         n_wheel):
        wx = cx + d * x
        wheels = np.maximum(wheels, ellipse_alpha(size, (wx, yb), (rw, rw)))
        hubs = np.maximum(hubs, ellipse_alpha(size, (wx, yb),
                                              (0.4 * rw, 0.4 * rw)))
    alpha = np.maximum(alpha, wheels)
    details += [(wheels, 'wheel'), (hubs, 'hub')]
    return Shape('train', alpha, marker, hazard, details, rail_y=rail_y)


def bottle_geometry(rng, size, cx, cy, extent):
    """An upright (slightly tilted) bottle; the foil over the upper neck
    and the cap and a label round the body are the marker."""
    H = extent
    angle = np.deg2rad(rng.uniform(-15, 15))
    wb = H * rng.uniform(0.3, 0.4)
    wn = 0.42 * wb
    wc = 1.25 * wn
    body = [[-wb / 2, 0.5 * H], [wb / 2, 0.5 * H], [wb / 2, -0.08 * H],
            [wn / 2, -0.22 * H], [-wn / 2, -0.22 * H], [-wb / 2, -0.08 * H]]
    neck = [[-wn / 2, -0.23 * H], [wn / 2, -0.23 * H], [wn / 2, -0.40 * H],
            [wc / 2, -0.40 * H], [wc / 2, -0.5 * H], [-wc / 2, -0.5 * H],
            [-wc / 2, -0.40 * H], [-wn / 2, -0.40 * H]]
    top = [[-wc / 2, -0.31 * H], [wc / 2, -0.31 * H], [wc / 2, -0.51 * H],
           [-wc / 2, -0.51 * H]]  # foil: upper neck and cap
    y0 = rng.uniform(0.0, 0.15) * H
    band = [[-wb / 2 - 1, y0], [wb / 2 + 1, y0], [wb / 2 + 1, y0 + 0.16 * H],
            [-wb / 2 - 1, y0 + 0.16 * H]]  # label round the body
    body_a = poly_alpha(size, transform(body, cx, cy, angle))
    neck_a = poly_alpha(size, transform(neck, cx, cy, angle))
    alpha = np.maximum(body_a, neck_a)
    marker = np.maximum(
        np.minimum(poly_alpha(size, transform(top, cx, cy, angle)), neck_a),
        np.minimum(poly_alpha(size, transform(band, cx, cy, angle)), body_a))
    _, v = _local_coords(size, cx, cy, angle)
    period = max(3.0, 0.07 * H)
    bands = (np.mod(v / period, 1.0) < 0.35).astype(np.float32)
    return Shape('bottle', alpha, marker, bands)


def chair_geometry(rng, size, cx, cy, extent):
    """A chair seen from the front: backrest, seat, four legs; its top rail
    and seat carry a fine checker (the marker) in a colour near the
    background's and a contrasting one."""
    H = extent
    W = H * rng.uniform(0.55, 0.7)
    angle = np.deg2rad(rng.uniform(-8, 8))
    parts = [
        [[-0.4 * W, -0.5 * H], [0.4 * W, -0.5 * H], [0.4 * W, -0.04 * H],
         [-0.4 * W, -0.04 * H]],                                 # backrest
        [[-0.42 * W, -0.05 * H], [0.42 * W, -0.05 * H], [0.5 * W, 0.06 * H],
         [-0.5 * W, 0.06 * H]],                                  # seat
    ]
    for sx in (-1, 1):
        # legs thick enough to survive the label's boundary band
        parts.append([[sx * 0.5 * W, 0.05 * H], [sx * 0.37 * W, 0.05 * H],
                      [sx * 0.37 * W, 0.5 * H], [sx * 0.5 * W, 0.5 * H]])
        parts.append([[sx * 0.3 * W, 0.05 * H], [sx * 0.19 * W, 0.05 * H],
                      [sx * 0.19 * W, 0.36 * H], [sx * 0.3 * W, 0.36 * H]])
    alpha = np.zeros((size, size), np.float32)
    for p in parts:
        alpha = np.maximum(alpha, poly_alpha(size, transform(p, cx, cy,
                                                             angle)))
    rail = [[-0.4 * W, -0.5 * H], [0.4 * W, -0.5 * H], [0.4 * W, -0.4 * H],
            [-0.4 * W, -0.4 * H]]
    marker = np.minimum(np.maximum(
        poly_alpha(size, transform(rail, cx, cy, angle)),
        poly_alpha(size, transform(parts[1], cx, cy, angle))), alpha)
    u, v = _local_coords(size, cx, cy, angle)
    cell = max(2.0, 0.045 * H)
    checker = np.mod(np.floor(u / cell) + np.floor(v / cell), 2)
    return Shape('chair', alpha, marker, checker.astype(np.float32))


GEOMETRY = {
    'ball': ball_geometry,
    'box': box_geometry,
    'star': star_geometry,
    'bottle': bottle_geometry,
    'chair': chair_geometry,
}
