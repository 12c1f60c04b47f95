"""Per-image inputs of the select stage: the one loader used by the offline
tools (selector, class salience, sweep) and the online transforms
(``LoadSaliencyMap``, ``SelectorFusion``).

One place that knows where a split's files live and how to read them, with
errors that name the file and what is wrong:

* split list: ``<data_root>/ImageSets/Segmentation/<split>.txt`` (or any
  list file given as a path);
* pseudo-labels: ``<pseudo_dir>/<id>.png`` (palette or grey PNG; any
  method's labels: ours, RS+EPM, L2G, SEAM, ...);
* saliency: ``<sal_dir>/<id><sal_suffix>`` (grey PNG, 0..255);
* CAMs (soft mode, optional): ``<cam_dir>/<id>.npz`` (stage 2 format);
* ground truth (sweep): ``<gt_dir>/<id>.png``, by default
  ``<data_root>/SegmentationClassAug`` (else ``SegmentationClass``);
* image-level labels: ``cls_labels.npy`` (default ``<data_root>/
  cls_labels.npy``) or derived from the ground-truth masks.

It sits beside :mod:`.voc_layout`, above :mod:`mmwsss.selector`: the stage
(:mod:`mmwsss.stages.select`) builds it and passes it in to the selector's
functions, which import nothing from the dataset layer.
"""
import os.path as osp

import numpy as np

from mmwsss.utils.io import (check_values, label_values, load_cam_npz,
                             load_grey_png, load_label_png, read_image_list)

from .voc_layout import (ImageLabels, class_names_for, default_gt_dir,
                         split_list_path)


def resolve_split(data_root, split):
    """Path of a split list: an existing file, or the VOC-style name."""
    if split and osp.isfile(split):
        return split
    if data_root is None:
        raise FileNotFoundError(f'split list not found: {split}')
    return split_list_path(data_root, split)


def load_saliency(path, shape=None, what='pseudo-label'):
    """uint8 saliency map, checked against the size of the label."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'saliency map not found: {path}')
    sal = load_grey_png(path)
    if shape is not None and sal.shape != tuple(shape):
        raise ValueError(f'{path}: saliency map is {sal.shape[1]}x'
                         f'{sal.shape[0]} (WxH) but the {what} is '
                         f'{shape[1]}x{shape[0]}')
    return sal


def load_cams(path, shape=None, label_keys=None, label_file=None):
    """``(keys, cams)`` of a stage-2 CAM file, checked against a size and
    (``label_keys``) the image's classes."""
    keys, cams = load_cam_npz(path, label_keys, label_file)
    if shape is not None and cams.shape[1:] != tuple(shape):
        raise ValueError(f'{path}: CAMs are {cams.shape[2]}x'
                         f'{cams.shape[1]} (WxH) but the pseudo-label is '
                         f'{shape[1]}x{shape[0]}')
    return keys, cams


class SelectorInputs:
    """Reads what the selector needs for each id of a split.

    Args:
        data_root (str): VOC-style root (``ImageSets``, ``cls_labels.npy``,
            ``SegmentationClassAug``).
        split (str): split name or list file.
        pseudo_dir, sal_dir (str): pseudo-label and saliency folders.
        cam_dir (str, optional): stage-2 CAM folder.
        gt_dir (str, optional): ground-truth folder (needed for the sweep
            and for ``labels_from_gt``).
        cls_labels (str, optional): image-level label file; default
            ``<data_root>/cls_labels.npy``.
        labels_from_gt (bool): derive image-level labels from the
            ground-truth masks instead (needs ``num_classes``).
        num_classes (int, optional): K foreground classes; checked against
            the labels when given.
        sal_suffix (str): saliency file suffix.
    """

    def __init__(self, data_root, split, pseudo_dir, sal_dir, cam_dir=None,
                 gt_dir=None, cls_labels=None, labels_from_gt=False,
                 num_classes=None, sal_suffix='.png'):
        self.data_root = data_root
        self.split_file = resolve_split(data_root, split)
        self.ids = read_image_list(self.split_file)
        for name, folder in (('pseudo-label', pseudo_dir),
                             ('saliency', sal_dir), ('CAM', cam_dir)):
            if folder is not None and not osp.isdir(folder):
                raise FileNotFoundError(f'{name} folder not found: {folder}')
        self.pseudo_dir, self.sal_dir, self.cam_dir = pseudo_dir, sal_dir, \
            cam_dir
        self.gt_dir = gt_dir if gt_dir is not None else (
            default_gt_dir(data_root) if data_root else None)
        self.sal_suffix = sal_suffix
        self.labels_from_gt = labels_from_gt
        if labels_from_gt and num_classes is None:
            raise ValueError('labels_from_gt needs num_classes (the '
                             'number of foreground classes)')
        # one reader of image-level labels (file or masks), checked once
        self.image_labels = ImageLabels(
            data_root, cls_labels=cls_labels, from_mask=labels_from_gt,
            mask_dir=self.gt_dir, num_classes=num_classes)
        self.cls_labels_file = self.image_labels.file
        self.num_classes = self.image_labels.num_classes
        try:
            self.class_names = class_names_for(self.num_classes, data_root)
        except ValueError as e:   # classes.txt against the label file
            source = self.cls_labels_file or 'labels from the masks'
            raise ValueError(f'{source}: {e}') from e

    # paths
    def pseudo_path(self, img_id):
        return osp.join(self.pseudo_dir, f'{img_id}.png')

    def sal_path(self, img_id):
        return osp.join(self.sal_dir, f'{img_id}{self.sal_suffix}')

    def cam_path(self, img_id):
        return osp.join(self.cam_dir, f'{img_id}.npz')

    def gt_path(self, img_id):
        return osp.join(self.gt_dir, f'{img_id}.png')

    # readers
    def gt(self, img_id):
        return load_label_png(self.gt_path(img_id))

    def img_label(self, img_id):
        return self.image_labels(img_id)

    def pseudo_label(self, img_id, path=None):
        """The pseudo-label of ``img_id`` (or of the file ``path``); values
        outside 0..K and 255 are refused (not copied into outputs)."""
        return self._checked_label(img_id, path)[0]

    def _checked_label(self, img_id, path=None):
        """``(label, its distinct values)``: the values are found once and
        serve every check of the label."""
        path = path or self.pseudo_path(img_id)
        label = load_label_png(path)
        values = label_values(label)
        try:
            check_values(values, path, self.num_classes + 1)
        except ValueError as e:
            src = 'the ground truth' if self.labels_from_gt else \
                self.cls_labels_file
            raise ValueError(f'{e}; the class count {self.num_classes} + '
                             f'background comes from {src}') from None
        return label, values

    def check_agrees(self, img_id, label, img_label, path=None,
                     values=None):
        """Raise naming both files when the pseudo-label holds a class
        the image-level label lacks (a label vector of the wrong length or
        order, or labels of another split). ``values``: the label's
        distinct values, when known."""
        present = label_values(label) if values is None else values
        present = present[(present > 0) & (present != 255)]
        absent = [int(c) for c in present if img_label[int(c) - 1] <= 0.5]
        if absent:
            src = 'the ground truth' if self.labels_from_gt else \
                self.cls_labels_file
            raise ValueError(
                f'{path or self.pseudo_path(img_id)}: holds class(es) '
                f'{absent} that the image-level label of {img_id!r} in '
                f'{src} does not (vector {img_label.astype(int).tolist()}); '
                'wrong label file or class count?')

    def saliency(self, img_id, shape=None):
        return load_saliency(self.sal_path(img_id), shape)

    def cams(self, img_id, shape=None):
        return load_cams(self.cam_path(img_id), shape,
                         self.image_labels.keys(img_id),
                         self.image_labels.file or self.gt_dir)

    def _blame_size(self, img_id, label_shape, label_path, err):
        """Saliency map and label differ in size: name the one that is
        not the image's size (``<data_root>/JPEGImages/<id>.jpg``)."""
        from PIL import Image
        img = osp.join(self.data_root or '', 'JPEGImages', f'{img_id}.jpg')
        if osp.isfile(img):
            with Image.open(img) as im:
                w, h = im.size
            if tuple(label_shape) != (h, w):
                raise ValueError(
                    f'{label_path or self.pseudo_path(img_id)}: pseudo-label '
                    f'is {label_shape[1]}x{label_shape[0]} (WxH) but the '
                    f'image {img} is {w}x{h}') from None
        raise err

    def load(self, img_id, with_cams=False, label_path=None):
        """``(label, saliency, img_label, cams)`` of one id (cams ``None``
        unless ``with_cams`` and a CAM folder is set)."""
        label, values = self._checked_label(img_id, label_path)
        img_label = np.asarray(self.img_label(img_id), dtype=np.float32)
        self.check_agrees(img_id, label, img_label, label_path, values)
        try:
            sal = self.saliency(img_id, label.shape)
        except ValueError as e:
            if 'saliency map is' not in str(e):
                raise
            self._blame_size(img_id, label.shape, label_path, e)
        cams = self.cams(img_id, label.shape) \
            if with_cams and self.cam_dir else None
        return label, sal, img_label, cams
