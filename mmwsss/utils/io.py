"""File formats shared by the stages (see ``docs/architecture.md``), one
import path for all of them:

* atomic writes, :mod:`mmwsss.utils.atomic_files`;
* label and saliency PNGs, :mod:`mmwsss.utils.map_png`;
* CAM files ``cams/<id>.npz``, :mod:`mmwsss.utils.cam_files`;
* images, :mod:`mmwsss.utils.image_files`;
* split lists, :mod:`mmwsss.utils.image_list`;
* pickle-free ``.npy`` reading, :mod:`mmwsss.utils.safe_npy`;

and :func:`verify_output`, the check of an existing stage output.

Every writer is atomic: it writes a temporary file (``.tmp-*``) beside
the target and renames it, so an interrupted job never leaves a
half-written output; the file gets the usual permissions (``0666`` minus
the umask). Every reader decodes strictly and names the file in its error:
a truncated image, a corrupt ``.npz``, a label value outside the classes or
a saliency map that is not 8-bit grey is refused, never silently
converted.
"""
import os.path as osp

from .atomic_files import (TMP_PREFIX, atomic_write,  # noqa: F401
                           current_umask, write_png_atomic)
from .cam_files import (check_cam_keys, check_finite_cams,  # noqa: F401
                        load_cam_npz, save_cam_npz)
from .image_files import (DEFAULT_MAX_PIXELS, check_image_bytes,  # noqa: F401
                          check_image_file, max_pixels, read_image)
from .image_list import read_image_list  # noqa: F401
from .map_png import (VOC_PALETTE, PixelBuffer, _load_png,  # noqa: F401
                      check_label_values, check_values, label_values,
                      load_grey_png, load_label_png, save_grey_png,
                      save_label_png)
from .safe_npy import RefusedPickle, load_npy_no_code  # noqa: F401


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
