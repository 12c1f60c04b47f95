"""Strict reading of image files (OpenCV, BGR): a missing, empty,
truncated or corrupt file, or one above the pixel limit, is an error
naming it; the EXIF orientation is ignored, as for every label."""
import io
import os
import os.path as osp

import numpy as np
from PIL import Image


#: default largest image (pixels) :func:`read_image` decodes, far above
#: VOC's 500 x 500; ``MMWSSS_MAX_PIXELS`` sets another
DEFAULT_MAX_PIXELS = 40_000_000
#: the EXIF tag of the orientation
_EXIF_ORIENTATION = 0x0112
_ORIENTATION_WARNED = set()


def max_pixels():
    """The pixel limit of :func:`read_image` (``MMWSSS_MAX_PIXELS``)."""
    value = os.environ.get('MMWSSS_MAX_PIXELS', '')
    try:
        return int(float(value)) if value else DEFAULT_MAX_PIXELS
    except ValueError:
        raise ValueError(f'MMWSSS_MAX_PIXELS={value!r} is not a number') \
            from None


def _check_header(data, path, limit):
    """Refuse an image above ``limit`` pixels before decoding it, and warn
    (once per file) when its EXIF orientation is not 1: it is ignored, as
    VOC's own tools and the label PNGs do, so image and label align."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            w, h = img.size
            orientation = img.getexif().get(_EXIF_ORIENTATION, 1) \
                if img.format == 'JPEG' else 1
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return  # cv2 decides (and names the file when it cannot decode)
    if limit and w * h > limit:
        raise ValueError(
            f'{path}: image of {w}x{h} = {w * h / 1e6:.1f} Mpixels is above '
            f'the limit of {limit / 1e6:.1f} Mpixels; resize it, or raise '
            'the limit with MMWSSS_MAX_PIXELS')
    if orientation not in (1, None) and path not in _ORIENTATION_WARNED:
        _ORIENTATION_WARNED.add(path)
        import sys
        print(f'warning: {path}: EXIF orientation {orientation} is ignored '
              '(pixels are used as stored, as VOC\'s tools and the label '
              'PNGs do)', file=sys.stderr)


def read_image(path, limit=None):
    """Decode an image file strictly as BGR uint8 (OpenCV, as the stages
    always read images). A missing, empty, truncated or corrupt file is an
    error naming it (OpenCV alone only prints libjpeg's warning and returns
    a half-grey image), and so is an image above ``limit`` pixels (default
    :func:`max_pixels`). The EXIF orientation is ignored (pixels as
    stored, like every reader of labels), with a warning once per file
    whose tag is not 1."""
    import cv2
    if not osp.isfile(path):
        raise FileNotFoundError(f'image not found: {path}')
    with open(path, 'rb') as f:
        data = f.read()
    check_image_bytes(data, path)
    _check_header(data, path, max_pixels() if limit is None else limit)
    img = cv2.imdecode(np.frombuffer(data, np.uint8),
                       cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
    if img is None:
        raise ValueError(f'{path}: cannot decode image (corrupt or not an '
                         'image)')
    return img


def check_image_bytes(data, path):
    """Raise naming ``path`` when an image file's bytes are empty or end
    before the image does (a JPEG without its end marker after the last
    scan, a PNG without ``IEND``)."""
    if not data:
        raise ValueError(f'{path}: empty file (0 bytes), not an image')
    if data[:2] == b'\xff\xd8':  # JPEG
        if data.rfind(b'\xff\xd9') < data.rfind(b'\xff\xda'):
            raise ValueError(f'{path}: truncated JPEG (the file ends inside '
                             'the image data, no end-of-image marker)')
    elif data[:8] == b'\x89PNG\r\n\x1a\n':
        if data.rfind(b'IEND') < 0:
            raise ValueError(f'{path}: truncated PNG (no IEND chunk)')


def check_image_file(path):
    """:func:`check_image_bytes` of a file (for readers other than
    :func:`read_image`, e.g. an mmcv test pipeline)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'image not found: {path}')
    with open(path, 'rb') as f:
        check_image_bytes(f.read(), path)
