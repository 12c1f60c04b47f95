"""One toy scene: cluttered background, rails under trains, objects, the
VOC-style label map (with its 255 boundary band) and the DUTS-style
saliency mask.

:func:`render_scene` is a pure function of its random generator: the same
generator state gives the same image, label and metadata.
"""
import cv2
import numpy as np

from .shapes import (CLASS_NAMES, GEOMETRY, MARKER_COLOURS,
                     PREFERRED_TEXTURE, train_geometry)
from .textures import (FAMILIES, alpha_box, composite, coords, crop,
                       ellipse_alpha, line_alpha, mix, poly_alpha,
                       random_colour, rect_points, shifted_colour,
                       smooth_noise, texture)

#: probability that a scene holds a single class (one or two instances)
P_SINGLE_CLASS = 0.65
#: object extent (largest side) as a fraction of the image side. Smaller
#: objects (0.15-0.45) left a from-scratch classifier on 210 images at
#: 65 mAP (bottles near chance); at 0.25-0.5 it reached ~95 mAP, but the
#: 10 x 10 CAMs of objects two or three CAM cells wide missed them by a
#: cell (stars: CAM IoU < 10); at 0.35-0.6 they land on the objects
#: (docs/toy_data.md).
EXTENT_RANGE = (0.35, 0.6)
#: per-class overrides of EXTENT_RANGE: the bottle is thin (its width is a
#: third of its height), so it is drawn taller; so is the chair (thin legs)
CLASS_EXTENT_RANGE = {'bottle': (0.45, 0.7), 'chair': (0.4, 0.7)}
#: locomotive length as a fraction of the image side
TRAIN_LENGTH_RANGE = (0.45, 0.8)
#: probability that a chair is part of a DUTS saliency mask
P_CHAIR_SALIENT = 0.15
#: probability that an object's body takes its class's preferred texture
P_PREFERRED_TEXTURE = 0.7
#: probability that an image without a train still shows a track: the
#: rails are then strong but not perfect evidence of a train, and its CAM
#: covers the locomotive as well as leaking onto the track
P_RAILS_WITHOUT_TRAIN = 0.3
#: chair body colour: the background behind it moved by this much in
#: value (low contrast, yet visible to a segmenter)
CHAIR_CONTRAST = (22.0, 36.0)
#: how much of an earlier object a later one may hide
MAX_HIDDEN = 0.4
#: body colour distance from the local background for salient classes
MIN_BODY_CONTRAST = 100.0
IGNORE_INDEX = 255


def band_kernel_size(size):
    """Kernel of the boundary band: ~3 px wide at 160 px, scaled."""
    return max(2, int(round(3.0 * size / 160.0)) + 1)


def boundary_band(instance_map, size):
    """Pixels within the band around every boundary between instances or
    between an instance and the background (VOC's 'void' outline)."""
    k = band_kernel_size(size)
    kernel = np.ones((k, k), np.uint8)
    inst = instance_map.astype(np.uint8)
    return cv2.dilate(inst, kernel) != cv2.erode(inst, kernel)


# --- background ------------------------------------------------------------

def _clutter_alpha(rng, size):
    kind = rng.choice(['ellipse', 'rect', 'triangle', 'poly', 'ring',
                       'line'])
    ext = rng.uniform(0.1, 0.5) * size
    cx, cy = rng.uniform(-0.1, 1.1, 2) * size
    if kind == 'ellipse':
        # never round: a disc would be a marker-less ball
        return ellipse_alpha(size, (cx, cy),
                             (ext / 2, ext / 2 * rng.uniform(0.25, 0.75)),
                             rng.uniform(0, 180))
    if kind == 'rect':
        return poly_alpha(size, rect_points(
            cx, cy, ext, ext * rng.uniform(0.1, 0.6), rng.uniform(0, np.pi)))
    if kind in ('triangle', 'poly'):
        n = 3 if kind == 'triangle' else int(rng.integers(4, 8))
        ang = np.sort(rng.uniform(0, 2 * np.pi, n))
        rad = ext / 2 * rng.uniform(0.4, 1.0, n)
        pts = np.stack([cx + rad * np.cos(ang), cy + rad * np.sin(ang)], 1)
        return poly_alpha(size, pts)
    if kind == 'ring':
        r = ext / 2
        t = r * rng.uniform(0.15, 0.35)
        return np.clip(ellipse_alpha(size, (cx, cy), (r, r))
                       - ellipse_alpha(size, (cx, cy), (r - t, r - t)), 0, 1)
    p1 = np.array([cx, cy]) + rng.normal(0, ext, 2)
    return line_alpha(size, (cx, cy), p1, max(1.0, rng.uniform(0.01, 0.04)
                                              * size))


def render_background(rng, size):
    """Smooth colour field, an optional textured floor, then 8-15 clutter
    shapes (ellipses, bars, polygons, rings, lines) of random colours and
    textures, some with soft edges.

    Returns the float image and the list of colours used (objects reuse
    them, so that no colour belongs to objects only)."""
    palette = [random_colour(rng), random_colour(rng)]
    img = mix(palette[0], palette[1],
              smooth_noise(rng, size, rng.integers(2, 5)))
    img += 3.0 * rng.standard_normal(img.shape, dtype=np.float32)
    if rng.random() < 0.45:  # a floor or a wall pattern below a horizon
        horizon = rng.uniform(0.35, 0.8) * size
        floor = poly_alpha(size, [[-1, horizon], [size + 1, horizon],
                                  [size + 1, size + 1], [-1, size + 1]])
        c1 = random_colour(rng)
        palette.append(c1)
        layer = texture(rng, size, rng.choice(['stripes', 'checker',
                                               'cloud']),
                        c1, shifted_colour(rng, c1, 50),
                        rng.uniform(0.05, 0.15) * size)
        composite(img, layer, floor)
    for _ in range(int(rng.integers(8, 16))):
        alpha = _clutter_alpha(rng, size)
        if rng.random() < 0.35:
            alpha = cv2.GaussianBlur(alpha, (0, 0), rng.uniform(1.0, 3.0)
                                     * size / 160)
        c1 = random_colour(rng)
        c2 = random_colour(rng) if rng.random() < 0.5 else \
            shifted_colour(rng, c1, 60)
        palette.append(c1)
        family = rng.choice(FAMILIES)
        scale = rng.uniform(0.03, 0.15) * size
        opacity = rng.uniform(0.7, 1.0)
        box = alpha_box(alpha)
        if box is None:
            continue
        layer = texture(rng, size, family, c1, c2, scale, noise=5, box=box)
        composite(img, layer, alpha * opacity, box)
    return img, palette


def rail_height(size):
    return max(3.0, 0.05 * size)


def draw_rails(rng, img, rail_y, size):
    """A side view of a track across the whole image: steel rail on top of
    sleepers and ballast. Background in the label map."""
    g = rail_height(size)
    band = poly_alpha(size, [[-2, rail_y], [size + 2, rail_y],
                             [size + 2, rail_y + g], [-2, rail_y + g]])
    grey = rng.uniform(95, 135)
    box = alpha_box(band)
    ballast = texture(rng, size, 'cloud', (grey, grey - 5, grey - 12),
                      (grey - 35, grey - 40, grey - 45), 3.0, noise=14,
                      box=box)
    composite(img, ballast, band, box)
    tr = max(1.5, 0.014 * size)
    period = max(4.0, 0.07 * size)
    width = max(2.0, 0.028 * size)
    brown = np.array([95, 65, 40], np.float32) + rng.normal(0, 8, 3)
    x = rng.uniform(0, period) - period
    sleepers = np.zeros((size, size), np.float32)
    while x < size + period:
        sleepers = np.maximum(sleepers, poly_alpha(size, [
            [x, rail_y + tr], [x + width, rail_y + tr],
            [x + width, rail_y + g], [x, rail_y + g]]))
        x += period
    composite(img, texture(rng, size, 'cloud', brown, brown * 0.75, 4.0,
                           box=box), sleepers, box)
    steel = poly_alpha(size, [[-2, rail_y], [size + 2, rail_y],
                              [size + 2, rail_y + tr],
                              [-2, rail_y + tr]])
    shadow = poly_alpha(size, [[-2, rail_y + tr], [size + 2, rail_y + tr],
                               [size + 2, rail_y + tr + max(1.0, 0.5 * tr)],
                               [-2, rail_y + tr + max(1.0, 0.5 * tr)]])
    s = rng.uniform(185, 215)
    composite(img, np.float32(45.0), shadow)
    composite(img, np.array([s, s, s + 8], np.float32), steel)
    return dict(y=float(rail_y), height=float(g))


# --- objects ---------------------------------------------------------------

def _local_mean(img, alpha):
    m = alpha > 0.5
    if not m.any():
        m = alpha > 0
    return img[m].mean(0) if m.any() else img.reshape(-1, 3).mean(0)


def paint_object(rng, img, shape, size, extent, palette):
    """Choose the body's colours and texture (from the background's
    distribution: weakly class-specific) and the marker's colours (fixed
    per class), then composite the object onto ``img`` in place.

    Salient classes take a colour that stands out from what is right
    behind them, preferably one of the background's own colours
    (``palette``) used elsewhere in the image, so that colour alone does
    not tell object from background."""
    box = alpha_box(shape.alpha)
    if box is None:
        return
    bg = _local_mean(img, shape.alpha)
    family = PREFERRED_TEXTURE[shape.name] \
        if rng.random() < P_PREFERRED_TEXTURE else \
        rng.choice([f for f in FAMILIES
                    if f != PREFERRED_TEXTURE[shape.name]])
    scale = extent * rng.uniform(0.12, 0.3)
    if shape.name == 'chair':
        # low contrast: the colour of what is behind it, a little lighter
        # (on dark) or darker (on light)
        sign = 1.0 if bg.mean() < 128 else -1.0
        body = np.clip(bg + sign * rng.uniform(*CHAIR_CONTRAST)
                       + rng.normal(0, 6, 3), 0, 255).astype(np.float32)
        layer = texture(rng, size, family, body,
                        shifted_colour(rng, body, 12), scale, noise=4,
                        box=box)
        m1 = np.clip(body + sign * 10, 0, 255)
        m2 = np.clip(body + sign * 95, 0, 255)
    else:
        best, best_d = None, -1.0
        order = rng.permutation(len(palette))
        for t in range(30 + len(palette)):
            if t < len(palette):
                c = np.clip(palette[order[t]] + rng.normal(0, 6, 3), 0, 255)
            else:
                c = random_colour(rng, sat=(0.3, 1.0), val=(0.35, 1.0))
            d = float(np.linalg.norm(c - bg))
            if d > best_d:
                best, best_d = c, d
            if d >= MIN_BODY_CONTRAST:
                break
        layer = texture(rng, size, family, best,
                        shifted_colour(rng, best, 45), scale, noise=4,
                        box=box)
        m1, m2 = (np.array(c, np.float32) + rng.normal(0, 8, 3)
                  for c in MARKER_COLOURS[shape.name])
    for alpha, kind in shape.details:
        alpha = crop(alpha, box)
        if kind == 'dark':
            composite(layer, layer * 0.35 + np.array([5, 10, 25],
                                                     np.float32), alpha)
        elif kind == 'shade':
            composite(layer, layer * 0.7, alpha)
        elif kind == 'wheel':
            composite(layer, np.float32(45.0), alpha)
        elif kind == 'hub':
            composite(layer, np.float32(150.0), alpha)
    marker = mix(np.clip(m1, 0, 255), np.clip(m2, 0, 255),
                 crop(shape.pattern, box))
    marker += 3.0 * rng.standard_normal(marker.shape, dtype=np.float32)
    composite(layer, marker, crop(shape.marker, box))
    composite(img, layer, shape.alpha, box)



def sample_classes(rng, duts=False):
    """Class names of one scene: a single class (65 %, sometimes two
    instances) or 2-3 distinct classes. At most one train."""
    if rng.random() < P_SINGLE_CLASS:
        name = CLASS_NAMES[int(rng.integers(len(CLASS_NAMES)))]
        names = [name]
        if name != 'train' and rng.random() < 0.25:
            names.append(name)
    else:
        k = 2 if rng.random() < 0.7 else 3
        names = [CLASS_NAMES[i] for i in
                 rng.choice(len(CLASS_NAMES), k, replace=False)]
    if duts and set(names) == {'chair'}:
        # DUTS images always hold a salient object; chairs rarely are one
        others = [n for n in CLASS_NAMES if n != 'chair']
        names.append(others[int(rng.integers(len(others)))])
    return names


def _place(rng, size, name, owner, areas):
    """Sample a placement of ``name`` that hides at most ``MAX_HIDDEN`` of
    every earlier object; ``None`` after 25 tries."""
    for _ in range(25):
        if name == 'train':
            length = rng.uniform(*TRAIN_LENGTH_RANGE) * size
            h = 0.34 * length
            lo = 1.2 * h + 2
            hi = size - rail_height(size) - 2
            if hi <= lo:
                continue
            rail_y = rng.uniform(lo, hi)
            cx = rng.uniform(length / 2 + 1, size - length / 2 - 1)
            shape = train_geometry(rng, size, cx, rail_y, length)
            extent = length
        else:
            extent = rng.uniform(
                *CLASS_EXTENT_RANGE.get(name, EXTENT_RANGE)) * size
            cx, cy = rng.uniform(extent / 2, size - extent / 2, 2)
            shape = GEOMETRY[name](rng, size, cx, cy, extent)
        mask = shape.alpha >= 0.5
        if not mask.any():
            continue
        ok = all(np.count_nonzero(mask & (owner == k)) <= MAX_HIDDEN * a
                 for k, a in enumerate(areas))
        if ok:
            return shape, extent
    return None


def _finish(rng, img, size):
    """Global lighting, a light blur and sensor noise; to uint8."""
    xx, yy = coords(size)
    theta = rng.uniform(0, 2 * np.pi)
    ramp = ((xx - size / 2) * np.cos(theta)
            + (yy - size / 2) * np.sin(theta)) / size
    img = img * (1.0 + rng.uniform(-0.3, 0.3) * ramp)[..., None]
    img = cv2.GaussianBlur(img, (3, 3), 0.5)
    img += 3.0 * rng.standard_normal(img.shape, dtype=np.float32)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def render_scene(rng, size, duts=False, maps=False):
    """Render one scene.

    Returns ``(image, label, saliency, info)``: ``image`` uint8 HxWx3 RGB;
    ``label`` uint8 class indices (0 background, 1..6 per ``TOY_CLASSES``,
    255 boundary band); ``saliency`` uint8 0/255 mask of the salient
    objects (every object except most chairs; never the rails); ``info``
    a JSON-able dict (objects, rails).

    With ``maps=True`` a fifth item is returned, a dict of per-pixel
    ground truth for analyses: ``instance`` (int16, object index in
    ``info['objects']``, -1 background), ``marker`` (bool, visible
    discriminative parts) and ``rails`` (bool, visible track pixels).
    """
    min_px = max(12, int(0.003 * size * size))
    for _ in range(100):
        names = sample_classes(rng, duts=duts)
        # the train and its rails go first (behind the other objects)
        rest = [n for n in names if n != 'train']
        rest = [rest[i] for i in rng.permutation(len(rest))]
        names = ['train'] * (len(names) - len(rest)) + rest
        img, palette = render_background(rng, size)
        owner = np.full((size, size), -1, np.int16)
        shapes, areas, rails = [], [], None
        if 'train' not in names and rng.random() < P_RAILS_WITHOUT_TRAIN:
            # an empty track, behind every object
            rails = draw_rails(rng, img, rng.uniform(
                0.3 * size, size - rail_height(size) - 2), size)
        for name in names:
            placed = _place(rng, size, name, owner, areas)
            if placed is None:
                break
            shape, extent = placed
            if name == 'train':
                rails = draw_rails(rng, img, shape.rail_y, size)
            paint_object(rng, img, shape, size, extent, palette)
            mask = shape.alpha >= 0.5
            owner[mask] = len(shapes)
            shapes.append(shape)
            areas.append(int(mask.sum()))
        else:
            visible = [int(np.count_nonzero(owner == k))
                       for k in range(len(shapes))]
            if all(v >= min_px and v >= (1 - MAX_HIDDEN) * a
                   for v, a in zip(visible, areas)):
                break
    else:  # pragma: no cover - a scene always fits within 100 tries
        raise RuntimeError('could not place the objects of a toy scene')

    image = _finish(rng, img, size)
    classes = np.array([s.label for s in shapes] + [0], np.uint8)
    label = classes[owner]  # owner -1 picks the trailing 0 (background)
    label[boundary_band(owner + 1, size)] = IGNORE_INDEX

    saliency = np.zeros((size, size), np.uint8)
    objects = []
    for k, shape in enumerate(shapes):
        vis = owner == k
        salient = shape.name != 'chair' or rng.random() < P_CHAIR_SALIENT
        if salient:
            saliency[vis] = 255
        ys, xs = np.nonzero(vis)
        marker_px = np.count_nonzero((shape.marker >= 0.5) & vis)
        objects.append(dict(
            cls=shape.name, label=int(shape.label),
            bbox=[int(xs.min()), int(ys.min()), int(xs.max()) + 1,
                  int(ys.max()) + 1],
            area=int(vis.sum()),
            marker_fraction=round(marker_px / max(1, int(vis.sum())), 4),
            salient=bool(salient)))
    present = sorted({o['label'] for o in objects})
    info = dict(classes=[CLASS_NAMES[i - 1] for i in present],
                objects=objects, rails=rails)
    if not maps:
        return image, label, saliency, info
    marker = np.zeros((size, size), bool)
    for k, shape in enumerate(shapes):
        marker |= (shape.marker >= 0.5) & (owner == k)
    track = np.zeros((size, size), bool)
    if rails is not None:
        y0 = int(np.ceil(rails['y']))
        y1 = int(np.floor(rails['y'] + rails['height']))
        track[y0:y1] = True
        track &= owner < 0
    return image, label, saliency, info, dict(instance=owner, marker=marker,
                                              rails=track)
