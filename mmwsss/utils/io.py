"""File formats shared by the stages (see ``docs/architecture.md``).

* ``cams/<id>.npz``: ``keys`` (int64 present-class indices, 0-based over the
  20 foreground classes) and ``cams`` (float16, K x H x W, values in [0, 1]).
* label PNGs: palette (mode "P") PNGs with VOC's palette, 255 = ignore.
* saliency PNGs: uint8 grey, 0..255.

Every writer here is atomic: it writes a temporary file (``.tmp-*``) beside
the target and renames it, so an interrupted job never leaves a half-written
output; the file gets the usual permissions (``0666`` minus the umask).
Every reader decodes strictly and names the file in its error: a truncated
image, a corrupt ``.npz``, a label value outside the classes or a saliency
map that is not 8-bit grey is refused, never silently converted.
"""
import contextlib
import io
import itertools
import os
import os.path as osp
import pickle
import tempfile
import threading
import zipfile
import zlib

import numpy as np
from PIL import Image

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


#: prefix of the temporary files of :func:`atomic_write`
TMP_PREFIX = '.tmp-'


def current_umask():
    """The process umask (read without changing it for long)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_write(path, suffix=None):
    """Yield a temporary path in the target's folder; rename it to ``path``
    when the block ends without error, delete it otherwise. The file gets
    mode ``0666 & ~umask`` (``mkstemp`` alone would leave it ``0600``)."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    suffix = suffix if suffix is not None else osp.splitext(path)[1]
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=suffix, dir=folder)
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
    finally:
        os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def save_label_png(path, label):
    """Save a uint8 label map as a VOC palette PNG, atomically."""
    label = np.asarray(label)
    if label.ndim != 2:
        raise ValueError(f'{path}: a label map must be 2-D, got {label.shape}')
    img = Image.fromarray(label if label.dtype == np.uint8
                          else label.astype(np.uint8), mode='P')
    img.putpalette(_PALETTE_LIST)
    write_png_atomic(path, img)


#: the VOC palette as PIL's putpalette takes it
_PALETTE_LIST = VOC_PALETTE.flatten().tolist()
_TMP_COUNT = itertools.count()


def write_png_atomic(path, img):
    """Write the PIL image ``img`` as a PNG at ``path``, atomically, with
    one open of the file: the PNG is encoded in memory, written to a
    temporary file beside the target (created exclusively with mode
    ``0666`` less the umask, the permissions :func:`atomic_write` gives)
    and renamed once (``os.replace``). No fsync: a crash may lose the file,
    never leave a partial one under its name. About a tenth faster than
    PIL saving to a path made by :func:`atomic_write` (measured)."""
    data = io.BytesIO()
    img.save(data, format='PNG')
    folder, name = osp.split(osp.abspath(path))
    while True:
        tmp = osp.join(folder, f'{TMP_PREFIX}{os.getpid()}-'
                       f'{threading.get_ident()}-{next(_TMP_COUNT)}-{name}')
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:   # a stale temp of an older process
            continue
        except FileNotFoundError:
            os.makedirs(folder, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
    try:
        try:
            view = data.getbuffer()
            while view.nbytes:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


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


def save_cam_npz(path, keys, cams):
    """Save CAMs: ``keys`` present-class indices (0-based, foreground only),
    ``cams`` float array K x H x W in [0, 1], stored as float16."""
    keys = np.asarray(keys, dtype=np.int64).reshape(-1)
    cams = np.asarray(cams, dtype=np.float32)
    if cams.ndim != 3 or cams.shape[0] != keys.size:
        raise ValueError(f'{path}: cams must be K x H x W with K = '
                         f'{keys.size} keys, got {cams.shape}')
    check_finite_cams(cams, keys, path)
    cams = np.clip(cams, 0.0, 1.0).astype(np.float16)
    with atomic_write(path) as tmp:
        with open(tmp, 'wb') as f:
            np.savez_compressed(f, keys=keys, cams=cams)


def check_finite_cams(cams, keys, path):
    """Raise naming ``path`` when the CAMs hold NaN or infinite values (a
    label made from them would be wrong without a word)."""
    bad = ~np.isfinite(cams)
    if bad.any():
        classes = [int(k) for k, b in zip(keys, bad.any(axis=(1, 2))) if b]
        raise ValueError(
            f'{path}: the CAMs hold {int(bad.sum())} non-finite value(s) '
            f'(NaN or inf) in the map(s) of class index(es) {classes}; '
            'no label is made from them: recompute this CAM file')


def check_cam_keys(path, keys, label_keys, label_file=None):
    """Raise naming ``path`` when a CAM is of a class that is not in the
    image's image-level label (``label_keys``, 0-based, from
    ``label_file``): it would be made into a label of that class."""
    extra = sorted(set(np.asarray(keys).tolist())
                   - set(np.asarray(label_keys).tolist()))
    if extra:
        raise ValueError(
            f'{path}: CAM(s) of class index(es) {extra} that the image-level '
            f'label does not hold (its classes: '
            f'{np.asarray(label_keys).tolist()}'
            + (f', from {label_file}' if label_file else '') + '); the CAMs '
            'were made with other labels: recompute them')


def load_cam_npz(path, label_keys=None, label_file=None):
    """Load ``(keys, cams)`` written by :func:`save_cam_npz` (cams float32).
    Non-finite values are refused; with ``label_keys`` (the image's
    classes) so is a CAM of another class (:func:`check_cam_keys`)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'CAM file not found: {path}')
    if osp.getsize(path) == 0:
        raise ValueError(f'{path}: empty file (0 bytes), not a CAM file')
    try:
        with np.load(path) as data:
            keys, cams = data['keys'], data['cams']
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile,
            zlib.error, pickle.UnpicklingError) as e:
        raise ValueError(f'{path}: not a readable CAM file with "keys" and '
                         f'"cams", truncated or corrupt '
                         f'({type(e).__name__}: {e})') from e
    if cams.ndim != 3 or keys.ndim != 1 or cams.shape[0] != keys.size:
        raise ValueError(f'{path}: CAM file holds {keys.size} keys but cams '
                         f'of shape {cams.shape} (expected K x H x W)')
    check_finite_cams(cams, keys, path)
    if label_keys is not None:
        check_cam_keys(path, keys, label_keys, label_file)
    return keys.astype(np.int64), cams.astype(np.float32)


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


def verify_output(path):
    """Raise ``ValueError`` naming ``path`` unless it is a readable stage
    output (``.npz`` CAMs, ``.png`` label / saliency map, else non-empty)."""
    ext = osp.splitext(path)[1].lower()
    if ext == '.npz':
        load_cam_npz(path)
    elif ext == '.png':
        _load_png(path, 'output')
    elif osp.getsize(path) == 0:
        raise ValueError(f'{path}: empty file (0 bytes)')


def _list_line_id(text):
    """The id of one list line, or None when the line is malformed: one
    token (``id`` or a path), or the pair ``JPEGImages/id.jpg
    SegmentationClass/id.png`` (two paths of the same id)."""
    tokens = text.split()
    if len(tokens) == 1:
        return osp.splitext(osp.basename(tokens[0]))[0]
    if len(tokens) == 2 and all('/' in t and osp.splitext(t)[1]
                                for t in tokens):
        first, second = (osp.splitext(osp.basename(t))[0] for t in tokens)
        return first if first == second else None
    return None


def read_image_list(path):
    """Read a split list (one id per line; VOC-style ``id`` or the
    ``JPEGImages/id.jpg SegmentationClass/id.png`` pair form).

    A malformed line (an id with a space, a pair of different ids, more
    than two fields) or an id listed twice (which would weigh that image
    twice in every metric) is an error naming the file, the line number
    and its text."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'image list not found: {path}')
    ids, first_line = [], {}
    # utf-8-sig: a byte-order mark (Windows editors) is not part of an id
    with open(path, encoding='utf-8-sig') as f:
        for number, line in enumerate(f, 1):
            text = line.strip()
            if not text:
                continue
            img_id = _list_line_id(text)
            if not img_id:
                raise ValueError(
                    f'{path}: line {number} {text!r} is not an image id (one '
                    'id per line, without spaces, or the pair '
                    '"JPEGImages/<id>.jpg SegmentationClass/<id>.png")')
            if img_id in first_line:
                raise ValueError(
                    f'{path}: line {number} {text!r} repeats the id '
                    f'{img_id!r} of line {first_line[img_id]}; each image '
                    'may be listed once')
            first_line[img_id] = number
            ids.append(img_id)
    if not ids:
        raise ValueError(f'image list is empty: {path}')
    return ids


# --------------------------------------------------------------------------
# pickle-free reading of numpy files
#: the only globals a pickled ``.npy`` may name: what numpy itself uses to
#: rebuild arrays, dtypes and scalars (no callable that runs code)
_NUMPY_PICKLE_GLOBALS = {
    ('numpy.core.multiarray', '_reconstruct'),
    ('numpy._core.multiarray', '_reconstruct'),
    ('numpy.core.multiarray', 'scalar'),
    ('numpy._core.multiarray', 'scalar'),
    ('numpy', 'ndarray'),
    ('numpy', 'dtype'),
}


class RefusedPickle(ValueError):
    """A pickle names a global outside the allow-list (never imported)."""


def _latin1_encode(text, encoding='latin1'):
    """``_codecs.encode`` as protocol-2 pickles use it for bytes (an
    array's raw data): latin-1 only."""
    if encoding not in ('latin1', 'latin-1') or not isinstance(text, str):
        raise RefusedPickle(f'_codecs.encode(..., {encoding!r})')
    return text.encode('latin1')


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickle dicts, lists, strings, numbers and numpy arrays only.

    ``find_class`` is the one way a pickle reaches a callable (``GLOBAL``,
    ``STACK_GLOBAL``, ``REDUCE``'s target, extension codes); it returns
    numpy's array / dtype / scalar constructors and refuses every other
    name before importing it, so a crafted file cannot run code."""

    def find_class(self, module, name):
        if (module, name) == ('_codecs', 'encode'):
            return _latin1_encode  # protocol-2 pickles' bytes
        if (module, name) in _NUMPY_PICKLE_GLOBALS:
            import importlib
            return getattr(importlib.import_module(module), name)
        raise RefusedPickle(f'{module}.{name}')

    def persistent_load(self, pid):
        raise RefusedPickle(f'persistent id {pid!r}')


def load_npy_no_code(path):
    """Read a ``.npy`` file without running code from it.

    A plain numeric array is read as ``np.load`` does; an object array
    (``np.save`` of a dict) is unpickled with an allow-list of numpy's own
    array constructors (:class:`_NumpyOnlyUnpickler`); anything else in the
    pickle (``os.system``, any class) is refused with :class:`RefusedPickle`
    naming it, before it is imported. Returns the array (a 0-d object array
    for a pickled dict, as ``np.load(allow_pickle=True)``)."""
    with open(path, 'rb') as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        if not dtype.hasobject:
            f.seek(0)
            return np.load(f, allow_pickle=False)
        data = f.read()
    obj = _NumpyOnlyUnpickler(io.BytesIO(data)).load()
    if not isinstance(obj, np.ndarray):
        raise ValueError(f'pickle holds a {type(obj).__name__}, not an array')
    return obj
