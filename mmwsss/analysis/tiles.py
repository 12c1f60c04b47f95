"""Picture tiles for the analysis tools and the report (numpy + OpenCV).

Every function takes and returns HxWx3 uint8 BGR arrays (OpenCV's order):
label maps coloured with the dataset palette, CAM heat maps over an image,
captions, a colour bar for the heat maps and a palette legend. No torch, no
OpenMMLab.
"""
import cv2
import numpy as np

from mmwsss.utils.io import VOC_PALETTE, atomic_write

#: tile background and text colours (BGR)
WHITE, BLACK, GREY = (255, 255, 255), (0, 0, 0), (120, 120, 120)
FONT = cv2.FONT_HERSHEY_SIMPLEX


def colorize(label, palette=VOC_PALETTE):
    """A label map (values 0..255) in the palette's colours, BGR."""
    return np.asarray(palette, dtype=np.uint8)[label][..., ::-1].copy()


def heat(cam):
    """A map in [0, 1] as a JET heat map (blue = 0, red = 1), BGR."""
    cam8 = (np.clip(np.nan_to_num(cam), 0, 1) * 255).astype(np.uint8)
    return cv2.applyColorMap(cam8, cv2.COLORMAP_JET)


def heat_overlay(img, cam, weight=0.6):
    """``cam`` (HxW in [0, 1]) over ``img`` (BGR) as a heat map."""
    return cv2.addWeighted(img, 1.0 - weight, heat(cam), weight, 0)


def grey(sal):
    """A HxW uint8 map (saliency: white = salient) as BGR."""
    return cv2.cvtColor(np.asarray(sal, dtype=np.uint8), cv2.COLOR_GRAY2BGR)


def fit(tile, size, interpolation=None):
    """``tile`` scaled to fit a ``size`` x ``size`` square (its longer side
    = ``size``), centred on white, so that every tile of a grid has the same
    shape. Label maps keep their values (nearest neighbour); pictures are
    resampled with area / linear interpolation."""
    h, w = tile.shape[:2]
    scale = size / max(h, w)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    if interpolation is None:
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    small = cv2.resize(tile, (nw, nh), interpolation=interpolation)
    out = np.full((size, size, 3), 255, np.uint8)
    y, x = (size - nh) // 2, (size - nw) // 2
    out[y:y + nh, x:x + nw] = small
    return out


def text_width(text, scale=0.4, thickness=1):
    return cv2.getTextSize(text, FONT, scale, thickness)[0][0]


def captioned(tile, text, scale=0.4, height=18):
    """``tile`` with a line of text above it (cut with '…' to fit)."""
    w = tile.shape[1]
    while text and text_width(text, scale) > w - 4:
        text = text[:-2] + '…' if len(text) > 2 else ''
    bar = np.full((height, w, 3), 255, np.uint8)
    cv2.putText(bar, text.replace('…', '~'), (2, height - 5), FONT, scale,
                BLACK, 1, cv2.LINE_AA)
    return np.vstack([bar, tile])


def colour_bar(height, width=14, labels=('1', '0.5', '0'), scale=0.35):
    """A vertical JET colour bar (top = 1, bottom = 0) with tick labels to
    its right, ``height`` pixels tall."""
    ramp = np.linspace(1, 0, height)[:, None].repeat(width, 1)
    bar = heat(ramp)
    pad = max(text_width(t, scale) for t in labels) + 6
    out = np.full((height, width + pad, 3), 255, np.uint8)
    out[:, :width] = bar
    for i, t in enumerate(labels):
        y = round(i * (height - 1) / max(1, len(labels) - 1))
        y = min(max(y + 4, 9), height - 2)
        cv2.putText(out, t, (width + 3, y), FONT, scale, BLACK, 1,
                    cv2.LINE_AA)
    return out


def legend(names, width, palette=VOC_PALETTE, ignore=True, scale=0.4,
           classes=None):
    """Rows of palette swatches with class names, wrapped to ``width``.

    Args:
        names (sequence[str]): class names, background first.
        classes (iterable[int], optional): only these class indices.
        ignore (bool): add the ignore colour (255).
    """
    items = [(i, n) for i, n in enumerate(names)
             if classes is None or i in set(classes)]
    if ignore:
        items.append((255, 'ignore (255)'))
    rows, row, x = [], [], 4
    for i, n in items:
        w = 18 + text_width(n, scale) + 12
        if row and x + w > width:
            rows.append(row)
            row, x = [], 4
        row.append((i, n, x))
        x += w
    if row:
        rows.append(row)
    out = np.full((20 * max(1, len(rows)) + 4, width, 3), 255, np.uint8)
    pal = np.asarray(palette, dtype=np.uint8)
    for r, row in enumerate(rows):
        y = 4 + 20 * r
        for i, n, x in row:
            colour = tuple(int(c) for c in pal[i][::-1])
            cv2.rectangle(out, (x, y), (x + 14, y + 14), colour, -1)
            cv2.rectangle(out, (x, y), (x + 14, y + 14), GREY, 1)
            cv2.putText(out, n, (x + 18, y + 12), FONT, scale, BLACK, 1,
                        cv2.LINE_AA)
    return out


def hstack(tiles, gap=4):
    """Tiles of one height side by side with white gaps."""
    h = max(t.shape[0] for t in tiles)
    parts = []
    for t in tiles:
        if t.shape[0] < h:
            t = np.vstack([t, np.full((h - t.shape[0], t.shape[1], 3), 255,
                                      np.uint8)])
        parts += [t, np.full((h, gap, 3), 255, np.uint8)]
    return np.hstack(parts[:-1])


def vstack(rows, gap=4):
    """Rows stacked, left-aligned, padded to the widest with white."""
    w = max(r.shape[1] for r in rows)
    parts = []
    for r in rows:
        if r.shape[1] < w:
            r = np.hstack([r, np.full((r.shape[0], w - r.shape[1], 3), 255,
                                      np.uint8)])
        parts += [r, np.full((gap, w, 3), 255, np.uint8)]
    return np.vstack(parts[:-1])


def write_png(path, picture):
    """Write a BGR picture as a PNG, atomically."""
    with atomic_write(path) as tmp:
        if not cv2.imwrite(tmp, picture):
            raise OSError(f'cannot write the picture {path}')
    return path
