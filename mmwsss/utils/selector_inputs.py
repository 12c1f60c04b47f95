"""Per-image inputs of the stage-5 tools (selector, class salience, sweep).

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
"""
import os
import os.path as osp

import numpy as np

from ..selector import (DEFAULT_BG_THR, DEFAULT_SAL_THR, DEFAULT_SALIENT_THR,
                        DEFAULT_T0, DEFAULT_T1, DEFAULT_TAU,
                        SalientObjectSelector)
from .io import (TOY_CLASSES, VOC_CLASSES, load_cam_npz, load_grey_png,
                 load_label_png, read_image_list)
from .labels import labels_from_mask, load_cls_labels


def class_names_for(num_classes):
    """Foreground class names for K classes: VOC's 20, the toy set's 6,
    else ``class1..classK``."""
    for names in (VOC_CLASSES, TOY_CLASSES):
        if len(names) - 1 == num_classes:
            return list(names[1:])
    return [f'class{i + 1}' for i in range(num_classes)]


def resolve_split(data_root, split):
    """Path of a split list: an existing file, or the VOC-style name."""
    if split and osp.isfile(split):
        return split
    if data_root is None:
        raise FileNotFoundError(f'split list not found: {split}')
    return osp.join(data_root, 'ImageSets', 'Segmentation', f'{split}.txt')


def default_gt_dir(data_root):
    for name in ('SegmentationClassAug', 'SegmentationClass'):
        path = osp.join(data_root, name)
        if osp.isdir(path):
            return path
    return osp.join(data_root, 'SegmentationClassAug')


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
        self.cls_labels_file = None
        self._cls = None
        if labels_from_gt:
            if num_classes is None:
                raise ValueError('labels_from_gt needs num_classes (the '
                                 'number of foreground classes)')
        else:
            self.cls_labels_file = cls_labels or osp.join(data_root,
                                                          'cls_labels.npy')
            self._cls = load_cls_labels(self.cls_labels_file)
            lengths = {v.size for v in self._cls.values()}
            if len(lengths) != 1:
                raise ValueError(f'{self.cls_labels_file}: image-level labels '
                                 f'have different lengths {sorted(lengths)}')
            k = lengths.pop()
            if num_classes is not None and k != num_classes:
                raise ValueError(f'{self.cls_labels_file}: labels hold {k} '
                                 f'classes, expected {num_classes}')
            num_classes = k
        self.num_classes = int(num_classes)
        self.class_names = class_names_for(self.num_classes)

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
        if self.labels_from_gt:
            return labels_from_mask(self.gt(img_id), self.num_classes)
        try:
            return self._cls[img_id]
        except KeyError:
            raise KeyError(f'{self.cls_labels_file}: no image-level label for '
                           f'{img_id!r}') from None

    def pseudo_label(self, img_id, path=None):
        return load_label_png(path or self.pseudo_path(img_id))

    def saliency(self, img_id, shape=None):
        path = self.sal_path(img_id)
        sal = load_grey_png(path)
        if shape is not None and sal.shape != tuple(shape):
            raise ValueError(f'{path}: saliency map is {sal.shape[1]}x'
                             f'{sal.shape[0]} (WxH) but the pseudo-label is '
                             f'{shape[1]}x{shape[0]}')
        return sal

    def cams(self, img_id, shape=None):
        path = self.cam_path(img_id)
        keys, cams = load_cam_npz(path)
        if shape is not None and cams.shape[1:] != tuple(shape):
            raise ValueError(f'{path}: CAMs are {cams.shape[2]}x'
                             f'{cams.shape[1]} (WxH) but the pseudo-label is '
                             f'{shape[1]}x{shape[0]}')
        return keys, cams

    def load(self, img_id, with_cams=False, label_path=None):
        """``(label, saliency, img_label, cams)`` of one id (cams ``None``
        unless ``with_cams`` and a CAM folder is set)."""
        label = self.pseudo_label(img_id, label_path)
        sal = self.saliency(img_id, label.shape)
        img_label = np.asarray(self.img_label(img_id), dtype=np.float32)
        cams = self.cams(img_id, label.shape) \
            if with_cams and self.cam_dir else None
        return label, sal, img_label, cams


# --------------------------------------------------------------------------
# command-line pieces shared by the stage-5 tools
def add_selector_args(parser):
    """Selector settings shared by the stage-5 tools."""
    g = parser.add_argument_group('selector')
    g.add_argument('--mode', choices=['hard', 'soft'], default='hard',
                   help='hard: Algorithm 1; soft: the alpha* rule')
    g.add_argument('--t0', type=float, default=DEFAULT_T0)
    g.add_argument('--t1', type=float, default=DEFAULT_T1)
    g.add_argument('--salient-thr', type=float, default=DEFAULT_SALIENT_THR,
                   help='a class is salient when n_c >= this')
    g.add_argument('--sal-thr', type=float, default=DEFAULT_SAL_THR,
                   help='saliency binarisation threshold (in [0, 1])')
    g.add_argument('--tau', type=float, default=DEFAULT_TAU,
                   help='soft mode: alpha* = 0 when o + n_c < tau')
    g.add_argument('--alpha', type=float, default=None,
                   help='soft mode: a fixed alpha instead of alpha*')
    g.add_argument('--bg-thr', type=float, default=DEFAULT_BG_THR,
                   help='soft mode: foreground threshold of the fused score '
                   '(with --cam-dir, use the stage-3 background threshold)')
    return g


def add_input_args(parser):
    """Where a split's inputs live (shared by the stage-5 tools)."""
    parser.add_argument('--data-root', required=True,
                        help='VOC-style root (ImageSets, cls_labels.npy)')
    parser.add_argument('--split', required=True,
                        help='split name (ImageSets/Segmentation/<split>.txt)'
                        ' or a list file')
    parser.add_argument('--pseudo-dir', required=True,
                        help='pseudo-labels to fuse, <id>.png (any method)')
    parser.add_argument('--sal-dir', required=True,
                        help='saliency maps, <id>.png (uint8)')
    parser.add_argument('--sal-suffix', default='.png')
    parser.add_argument('--cam-dir', default=None,
                        help='stage-2 CAMs <id>.npz (soft mode; without '
                        'them the class region is used as a 0/1 map)')
    parser.add_argument('--cls-labels', default=None,
                        help='image-level labels (default <data-root>/'
                        'cls_labels.npy)')
    parser.add_argument('--labels-from-gt', action='store_true',
                        help='derive image-level labels from the GT masks')
    parser.add_argument('--gt-dir', default=None,
                        help='GT masks (default <data-root>/'
                        'SegmentationClassAug)')
    parser.add_argument('--nproc', '--workers', dest='nproc', type=int,
                        default=min(8, os.cpu_count() or 1),
                        help='worker processes per rank (0 = in-process); '
                        'under torchrun spell it --workers (torchrun takes '
                        '--nproc for an abbreviation of its own option)')


def selector_from_args(args, norms):
    return SalientObjectSelector(
        norms, mode=args.mode, t0=args.t0, t1=args.t1,
        salient_thr=args.salient_thr, sal_thr=args.sal_thr, tau=args.tau,
        alpha=args.alpha, bg_thr=args.bg_thr)


def inputs_from_args(args, num_classes):
    return SelectorInputs(
        args.data_root, args.split, args.pseudo_dir, args.sal_dir,
        cam_dir=args.cam_dir, gt_dir=args.gt_dir, cls_labels=args.cls_labels,
        labels_from_gt=args.labels_from_gt, num_classes=num_classes,
        sal_suffix=args.sal_suffix)
