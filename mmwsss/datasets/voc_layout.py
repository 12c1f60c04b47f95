"""The VOC2012 folder layout, in one place (numpy only, no OpenMMLab).

Every stage finds a split's files through this module:

* split lists: ``<root>/ImageSets/Segmentation/<split>.txt`` (or any list
  file given as a path), :func:`split_list_path`, :func:`read_split`;
* images ``<root>/JPEGImages/<id>.jpg``; ground truth
  ``<root>/SegmentationClassAug/<id>.png`` (else ``SegmentationClass``),
  :func:`default_gt_dir`;
* image-level labels: ``<root>/cls_labels.npy`` (dict id -> float32[K], no
  background; or its pickle-free ``.npz`` / ``.json`` forms, read without
  running code, :func:`load_cls_labels`) or derived from the masks,
  :class:`ImageLabels`;
* class names / metainfo: a dataset's own ``<root>/classes.txt`` (its
  foreground classes, one per line, in the order of ``cls_labels.npy``),
  or a list given in a config or on a command line, or the built-in sets
  ``VOC_CLASSES`` and the toy set's ``TOY_CLASSES`` (named ``'voc'`` and
  ``'toy'``): :func:`resolve_class_names`, :func:`read_class_names`,
  :func:`class_names_for`.

The three live in :mod:`mmwsss.datasets.voc_paths`,
:mod:`mmwsss.datasets.image_labels` and :mod:`mmwsss.datasets.class_names`;
every name is importable from here.
"""
from .class_names import (CLASS_SETS, CLASSES_FILE,  # noqa: F401
                          TOY_CLASSES, VOC_CLASSES, class_names_for, metainfo,
                          parse_classes, read_class_names, resolve_class_names,
                          write_class_names)
from .image_labels import (CLS_LABEL_SUFFIXES, ImageLabels,  # noqa: F401
                           cam_label_keys, default_cls_labels,
                           image_labels_if_any, labels_from_mask,
                           load_cls_labels, save_cls_labels)
from .voc_paths import (default_gt_dir, read_split,  # noqa: F401
                        require_files, root_path, split_list_path)
