"""Converters from common dataset layouts to the VOC layout mmwsss reads
(numpy, Pillow and scipy only; no torch, no OpenMMLab).

* :mod:`.image_labels`: image-level labels (``cls_labels.npy``) from
  segmentation masks or from VOC-style XML annotations;
* :mod:`.sbd`: SBD's ``.mat`` masks + VOC's -> ``SegmentationClassAug`` and
  the ``train_aug`` list;
* :mod:`.tag_folder`: a folder of images + a CSV of tags -> a VOC layout.

The command lines are ``tools/dataset_converters/*.py``;
``docs/own_dataset.md`` walks through them.
"""
from .image_labels import labels_from_masks, labels_from_xml, parse_voc_xml
from .sbd import convert_sbd, load_sbd_mat
from .tag_folder import read_tag_csv, tag_folder_to_voc

__all__ = ['labels_from_masks', 'labels_from_xml', 'parse_voc_xml',
           'convert_sbd', 'load_sbd_mat', 'read_tag_csv', 'tag_folder_to_voc']
