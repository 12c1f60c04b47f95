"""8-bit maps as PNG files: label maps and saliency maps.

* label PNGs: palette (mode "P") PNGs with VOC's palette, 255 = ignore;
* saliency PNGs: uint8 grey, 0..255.

Writers are atomic (:mod:`mmwsss.utils.atomic_files`). Readers decode
strictly and name the file in their error: a truncated image, a label
value outside the classes or a saliency map that is not 8-bit grey is
refused, never silently converted.
"""
import os.path as osp
import zlib

import numpy as np
from PIL import Image

from .atomic_files import write_png_atomic


def _voc_palette(n=256):
    palette = np.zeros((n, 3), dtype=np.uint8)
    for i in range(n):
        c, r, g, b = i, 0, 0, 0
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        palette[i] = (r, g, b)
    return palette


VOC_PALETTE = _voc_palette()


#: the VOC palette as PIL's putpalette takes it
_PALETTE_LIST = VOC_PALETTE.flatten().tolist()


def save_label_png(path, label):
    """Save a uint8 label map as a VOC palette PNG, atomically."""
    label = np.asarray(label)
    if label.ndim != 2:
        raise ValueError(f'{path}: a label map must be 2-D, got {label.shape}')
    img = Image.fromarray(label if label.dtype == np.uint8
                          else label.astype(np.uint8), mode='P')
    img.putpalette(_PALETTE_LIST)
    write_png_atomic(path, img)


def _open_png(path, what):
    """The PIL image of a PNG, header read (pixels not decoded yet: see
    :func:`_decode_uint8`); an error naming the file when it is missing,
    empty or not an image. The checks cost nothing on the way that
    succeeds (no ``stat`` before the open)."""
    try:
        return Image.open(path)
    except FileNotFoundError:
        raise FileNotFoundError(f'{what} file not found: {path}') from None
    except (OSError, SyntaxError, ValueError, zlib.error) as e:
        if not osp.isfile(path):
            raise FileNotFoundError(f'{what} file not found: {path}') \
                from None
        if osp.getsize(path) == 0:
            raise ValueError(f'{path}: empty file (0 bytes), not a {what} '
                             'PNG') from None
        raise ValueError(f'{path}: cannot read {what} PNG, the file is '
                         f'truncated or corrupt ({e})') from e


def _load_png(path, what):
    """:func:`_open_png` with the pixels decoded (a truncated file fails
    here)."""
    img = _open_png(path, what)
    try:
        img.load()
    except (OSError, SyntaxError, ValueError, zlib.error) as e:
        raise ValueError(f'{path}: cannot read {what} PNG, the file is '
                         f'truncated or corrupt ({e})') from e
    return img


def _map_pixels(arr, mode):
    """A PIL pixel store on the memory of the C-contiguous ``H x W``
    uint8 array ``arr`` (``Image.frombuffer``'s store, without the Image
    object and the palette it builds, a tenth of a label's decode time)."""
    h, w = arr.shape
    if hasattr(Image.core, 'map_buffer'):
        return Image.core.map_buffer(arr, (w, h), 'raw', 0, (mode, 0, 1))
    return Image.frombuffer(mode, (w, h), arr, 'raw', mode, 0, 1).im


class PixelBuffer:
    """Memory reused for one decoded 8-bit map at a time (see
    :func:`load_label_png`): a loop that reads two maps per image and
    drops them (an evaluation) otherwise has the allocator hand the pages
    back to the system and take them again for every image, which costs
    about 50 page faults per image pair, a fifth of the decode time
    (measured on VOC-size maps)."""

    def __init__(self):
        self._memory = np.empty(0, np.uint8)

    def array(self, h, w):
        """An ``h x w`` uint8 view of the memory (grown when needed)."""
        if self._memory.size < h * w:
            self._memory = np.empty(h * w, np.uint8)
        return self._memory[:h * w].reshape(h, w)


def _decode_uint8(img, path, what, buffer=None):
    """The pixels of a single-band 8-bit PIL image (mode ``'P'`` or
    ``'L'``) as a new writable ``H x W`` uint8 array.

    PIL decodes straight into the array's memory (the image's pixel store
    is set to a buffer mapped on the array before ``load``), which skips
    the copy to ``bytes`` and back that ``np.array(img)`` makes: about an
    eighth of a VOC label's decode time. Should Pillow decode elsewhere
    (it replaced the store), the pixels are copied as ``np.array`` does.
    ``buffer`` (:class:`PixelBuffer`): decode into its memory. A truncated
    or corrupt file raises an error naming it."""
    w, h = img.size
    arr = np.empty((h, w), np.uint8) if buffer is None else \
        buffer.array(h, w)
    try:
        target = _map_pixels(arr, img.mode)
        img.im = target
        img.load()
        if img.im is not target:  # not decoded in place
            arr[...] = np.asarray(img, dtype=np.uint8)
    except (OSError, SyntaxError, ValueError, zlib.error) as e:
        raise ValueError(f'{path}: cannot read {what} PNG, the file is '
                         f'truncated or corrupt ({e})') from e
    return arr


def label_values(label):
    """Sorted distinct values of a label map, as ``np.unique`` gives them.

    A uint8 map is read as 8-byte words: the values present are the bytes
    of the first word, of every word that differs from the word before it
    and of the tail. A label map holds long runs of one value, so few
    words differ from their predecessor (about a thousand of a VOC map's
    23,000): one comparison of neighbouring words and a look at those,
    instead of sorting or histogramming every pixel, which costs as much
    as decoding the PNG. Maps of short runs (noise) take one histogram
    pass.
    """
    label = np.asarray(label)
    if label.dtype != np.uint8 or label.size == 0:
        return np.unique(label)
    flat = np.ascontiguousarray(label).reshape(-1)
    n8 = flat.size // 8 * 8
    present = np.zeros(256, bool)
    present[flat[n8:]] = True
    if n8:
        words = flat[:n8].view(np.uint64)
        new = np.flatnonzero(words[1:] != words[:-1])
        if new.size > words.size // 4:
            return np.flatnonzero(np.bincount(flat, minlength=256)).astype(
                np.uint8)
        present[words[:1].view(np.uint8)] = True
        present[words[new + 1].view(np.uint8)] = True
    return np.flatnonzero(present).astype(np.uint8)


def check_label_values(label, path, num_classes, ignore_index=255):
    """Raise naming ``path`` when ``label`` holds a value outside
    ``0..num_classes-1`` and ``ignore_index`` (``num_classes`` counts the
    background)."""
    check_values(label_values(label), path, num_classes, ignore_index)
    return label


def check_values(values, path, num_classes, ignore_index=255):
    """:func:`check_label_values` of a label's distinct ``values``
    (:func:`label_values`), found once for every check of the label."""
    bad = values[(values >= num_classes) & (values != ignore_index)]
    if bad.size:
        raise ValueError(
            f'{path}: label value(s) {bad.tolist()} outside the '
            f'{num_classes} classes (0..{num_classes - 1}, {ignore_index} = '
            'ignore)')


def load_label_png(path, num_classes=None, buffer=None):
    """Read a label PNG (palette or grey) as a uint8 array of indices;
    with ``num_classes`` (background included) check its values.
    ``buffer`` (:class:`PixelBuffer`): decode into its memory (the array is
    valid until the buffer's next use)."""
    img = _open_png(path, 'label')
    if img.mode not in ('P', 'L'):
        raise ValueError(f'{path}: expected a palette or grey PNG of '
                         f'class indices, got mode {img.mode!r}')
    label = _decode_uint8(img, path, 'label', buffer)
    if num_classes is not None:
        check_label_values(label, path, num_classes)
    return label


def save_grey_png(path, array):
    """Save a uint8 grey PNG (e.g. a saliency map), atomically."""
    array = np.asarray(array)
    if array.dtype != np.uint8 or array.ndim != 2:
        raise ValueError(f'{path}: expected a 2-D uint8 map, got '
                         f'{array.dtype} {array.shape}')
    write_png_atomic(path, Image.fromarray(array, mode='L'))


def load_grey_png(path, convert=False):
    """Read an 8-bit grey PNG (saliency map) as uint8.

    Any other format (colour, palette, 16-bit, alpha) is refused, since a
    silent conversion changes the values (a jet colour map is not its
    luminance); ``convert=True`` converts it explicitly (16-bit maps are
    scaled by 255/65535, others go through PIL's ``convert('L')``)."""
    img = _open_png(path, 'saliency')
    if img.mode == 'L':
        return _decode_uint8(img, path, 'saliency')
    if not convert:
        raise ValueError(
            f'{path}: saliency maps must be 8-bit grey PNGs (mode "L"), got '
            f'mode {img.mode!r}' + (' (16-bit)' if img.mode.startswith('I')
                                    else ''))
    img = _load_png(path, 'saliency')
    if img.mode.startswith('I'):
        arr = np.array(img, dtype=np.float64) * (255.0 / 65535.0)
        return np.clip(np.round(arr), 0, 255).astype(np.uint8)
    return np.array(img.convert('L'), dtype=np.uint8)
