"""A procedural toy world for WSSS: VOC-layout and DUTS-layout data made
on the fly (pure numpy/OpenCV, no OpenMMLab import).

See :func:`generate_toy_dataset` and ``tools/make_toy_data.py``.
"""
from .generator import (duts_id, generate_toy_dataset, scene_rng,
                        split_ids, voc_id)
from .scene import band_kernel_size, boundary_band, render_scene
from .shapes import CLASS_NAMES, MARKER_COLOURS

__all__ = ['generate_toy_dataset', 'render_scene', 'scene_rng', 'split_ids',
           'voc_id', 'duts_id', 'boundary_band', 'band_kernel_size',
           'CLASS_NAMES', 'MARKER_COLOURS']
