"""IRN's learned expansion (stage 3) as package functions.

`Weakly Supervised Learning of Instance Segmentation with Inter-pixel
Relations` (Ahn et al., CVPR 2019). The stage runs in three steps:

1. :func:`make_relation_labels`: CAMs -> relation labels
   (``<out>/<id>.png``: 0 background, c + 1 class c, 255 unknown);
2. ``tools/train.py configs/irn/...``: the relation network (a backbone and
   :class:`mmwsss.models.decode_heads.ClassBoundaryHead`) learns class
   boundaries from pixel pairs of the relation labels;
3. :func:`propagate_cams`: the boundary map of every image -> path
   affinities -> random walk of its CAMs -> pseudo-label
   (``<out>/<id>.png``, VOC palette).

Steps 1 and 3 are per-image jobs (:class:`mmwsss.utils.ShardedJob`): every
output is written atomically, images whose output exists are skipped (a
killed run resumes), ranks under torchrun split the images, ``num_workers``
processes split a rank's images. The per-image work is a plain function of
the image id (:func:`relation_label_image`, :func:`propagate_image`). Each
job records its settings in ``<out>/expand_settings.json``.

The settings are in :mod:`mmwsss.expand.irn_settings`, step 1 in
:mod:`mmwsss.expand.irn_relation`, step 3 in :mod:`mmwsss.expand.irn_walk`;
every name is importable from here.
"""
from .irn_relation import (make_relation_labels,  # noqa: F401
                           relation_label_image, relation_label_of)
from .irn_settings import (DEFAULT_WALK_BG_THR, REFINEMENTS,  # noqa: F401
                           RandomWalkSettings, RelationLabelSettings)
from .irn_walk import (BoundaryModel, expand_cams,  # noqa: F401
                       propagate_cams, propagate_image)
