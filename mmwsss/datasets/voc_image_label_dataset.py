"""Image-level (multi-label) VOC dataset for the CAM classifier (stage 1)."""
import os.path as osp

import numpy as np
from mmpretrain.datasets import MultiLabelDataset
from mmpretrain.registry import DATASETS

from mmwsss.datasets.voc_layout import (VOC_CLASSES, labels_from_mask,
                                        load_cls_labels, parse_classes,
                                        split_list_path)
from mmwsss.utils.io import load_label_png, read_image_list


@DATASETS.register_module()
class VOCImageLabelDataset(MultiLabelDataset):
    """Images of a VOC segmentation split with their image-level labels.

    The layout is VOC 2012's (``data_root`` = the ``VOC2012`` folder)::

        JPEGImages/<id>.jpg
        SegmentationClassAug/<id>.png      (only with labels_from_mask)
        ImageSets/Segmentation/<split>.txt
        cls_labels.npy                     (dict id -> float[C], no bg)

    Class names come from ``metainfo['classes']`` (foreground only; VOC's 20
    by default, the toy set's 6 via the config), so the number of classes is
    never hard-coded; the labels must have that many entries. ``classes``
    may also be a string: ``'voc'``, ``'toy'`` or a ``classes.txt`` (under
    ``data_root`` if relative), as mmpretrain's ``classes=`` file.

    Args:
        data_root (str): the VOC2012-style folder.
        split (str): list name (``train_aug``) or list file.
        img_dir (str): image folder under ``data_root``.
        img_suffix (str): image file suffix.
        cls_labels (str): image-level label file under ``data_root`` (or a
            path).
        labels_from_mask (bool): derive the labels from the segmentation
            masks in ``mask_dir`` instead of ``cls_labels`` (on VOC the two
            differ for ~7% of the images).
        mask_dir (str): mask folder under ``data_root``.
        **kwargs: ``metainfo``, ``pipeline``, ``test_mode``, ``indices``...
            of mmpretrain's ``BaseDataset``.
    """

    METAINFO = dict(classes=VOC_CLASSES[1:])

    def __init__(self, data_root, split='train_aug', img_dir='JPEGImages',
                 img_suffix='.jpg', cls_labels='cls_labels.npy',
                 labels_from_mask=False, mask_dir='SegmentationClassAug',
                 **kwargs):
        self.split = split
        self.img_dir = img_dir
        self.img_suffix = img_suffix
        self.cls_labels = cls_labels
        self.labels_from_mask = labels_from_mask
        self.mask_dir = mask_dir
        metainfo = kwargs.get('metainfo')
        if metainfo is not None and isinstance(metainfo.get('classes'), str):
            # 'voc', 'toy' or a classes.txt (under data_root if relative)
            kwargs['metainfo'] = dict(metainfo, classes=tuple(parse_classes(
                metainfo['classes'], data_root)[1:]))
        super().__init__(
            ann_file=osp.abspath(split_list_path(data_root, split)),
            data_root=data_root,
            **kwargs)

    def _root_path(self, path):
        return path if osp.isabs(path) else osp.join(self.data_root, path)

    def load_data_list(self):
        classes = self.metainfo['classes']
        num_classes = len(classes)
        ids = read_image_list(self.ann_file)
        if self.labels_from_mask:
            mask_dir = self._root_path(self.mask_dir)

            def label_of(img_id):
                path = osp.join(mask_dir, f'{img_id}.png')
                try:
                    return labels_from_mask(load_label_png(path), num_classes)
                except ValueError as e:
                    raise ValueError(f'{path}: {e}') from e
        else:
            label_file = self._root_path(self.cls_labels)
            table = load_cls_labels(label_file)

            def label_of(img_id):
                if img_id not in table:
                    raise KeyError(f'{label_file}: no image-level label for '
                                   f'{img_id!r} (listed in {self.ann_file})')
                vec = table[img_id]
                if vec.size != num_classes:
                    raise ValueError(
                        f'{label_file}: label of {img_id!r} has {vec.size} '
                        f'entries but the dataset has {num_classes} classes '
                        f'({", ".join(classes)}); set metainfo.classes')
                return vec

        img_dir = self._root_path(self.img_dir)
        data_list = []
        for img_id in ids:
            vec = label_of(img_id)
            data_list.append(dict(
                img_path=osp.join(img_dir, img_id + self.img_suffix),
                img_id=img_id,
                gt_label=np.flatnonzero(vec > 0.5).tolist()))
        return data_list
