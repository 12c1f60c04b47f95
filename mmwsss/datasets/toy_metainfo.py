"""Class names and palette of the procedural toy dataset.

The toy data (``tools/make_toy_data.py``, generator in ``tools/toy_data/``)
uses the VOC 2012 layout with these 7 classes; label PNGs carry the VOC
colour map, so class ``i`` is drawn in ``TOY_PALETTE[i]``. Plain tuples: no
numpy, torch or OpenMMLab import.
"""

TOY_CLASSES = ('background', 'ball', 'box', 'star', 'train', 'bottle',
               'chair')
# the first 7 entries of the VOC colour map (bit-interleaved class index)
TOY_PALETTE = ((0, 0, 0), (128, 0, 0), (0, 128, 0), (128, 128, 0),
               (0, 0, 128), (128, 0, 128), (0, 128, 128))
TOY_METAINFO = dict(classes=TOY_CLASSES, palette=TOY_PALETTE)
