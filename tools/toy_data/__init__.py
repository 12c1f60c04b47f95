"""A procedural toy world for WSSS, in the VOC 2012 and DUTS layouts (pure
numpy/OpenCV, no OpenMMLab import). ``tools/make_toy_data.py`` writes it.

What it reproduces of the real problem:

* six classes (``TOY_CLASSES[1:]``: ball, box, star, train, bottle, chair),
  each a distinct shape, over cluttered backgrounds (smooth colour fields,
  floors, 8-15 textured blobs, bars, rings and lines). Object bodies take
  their colours from the background's own palette and their texture from
  the same families as the clutter (each class prefers one, 70 % of the
  time), so colour does not segment and the body is only weakly
  class-specific;
* every object carries a discriminative part (the *marker*, about a fifth
  to a third of its area, spread over the object, a fixed class-specific
  colour pattern: ball magenta disc with white ring near its centre, box
  white square with black X in its middle, star yellow disc with red dot
  at its centre, train orange/black hazard stripes on nose and tail,
  bottle green/white foil on neck and cap and a label round the body,
  chair contrasting checker on top rail and seat), so a classifier's CAM
  fires on part of the object (CAM mIoU calibrated to VOC's regime, see
  ``docs/toy_data.md``);
* a train always stands on rails that cross the whole image (background
  in the masks): CAMs of 'train' leak onto them. A third of the other
  images show an empty track, so the rails are strong but not perfect
  evidence;
* chairs take the colour of what is behind them, a little lighter or
  darker (low contrast, weakly salient); in the DUTS part only ~15 % of
  chairs are in the saliency mask, every other object always is, the
  rails never;
* ~65 % single-class images (sometimes two instances), the rest 2-3
  classes; object extents 35-60 % of the image side (bottles 45-70 %,
  chairs 40-70 %, trains 45-80 %), overlaps that hide at most 40 % of an
  earlier object;
* VOC-style masks: palette PNGs with a 255 band (~3 px at 160 px, scaled)
  along every object outline.

:func:`render_scene` renders one scene from a ``numpy`` generator (and, on
request, per-pixel maps of instances, markers and rails for analyses);
:func:`generate_toy_dataset` writes a whole dataset deterministically.
"""
from .generator import (duts_id, generate_toy_dataset, scene_rng,
                        split_ids, voc_id)
from .scene import band_kernel_size, boundary_band, render_scene
from .shapes import CLASS_NAMES, MARKER_COLOURS

__all__ = ['generate_toy_dataset', 'render_scene', 'scene_rng', 'split_ids',
           'voc_id', 'duts_id', 'boundary_band', 'band_kernel_size',
           'CLASS_NAMES', 'MARKER_COLOURS']
