"""VOC-layout segmentation dataset whose labels come from any folder.

Stage 6 trains a segmenter on VOC ``train_aug`` images with labels read from
a folder of pseudo-label PNGs (fused, unfused, or another method's), and
evaluates on ``val`` with the real ground truth. Both are this dataset with a
different ``data_prefix.seg_map_path``::

    train: data_prefix=dict(img_path='JPEGImages',
                            seg_map_path='/path/to/pseudo_fused')
    val:   data_prefix=dict(img_path='JPEGImages',
                            seg_map_path='SegmentationClass')

Label PNGs hold class indices into ``metainfo['classes']`` (0 = background,
255 = ignore), so the VOC classes (21, the default) and the toy classes (7)
both work by passing ``metainfo=dict(classes=...)``; no name-based remapping
is applied (unlike mmseg's ``BaseSegDataset`` for a subset of classes).

Every image and label file of the split is checked when the dataset is
built, before training starts: a missing, unreadable or mis-sized file is a
:class:`ValueError` that names the file.
"""
import os.path as osp
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS
from PIL import Image

from mmwsss.datasets.voc_layout import VOC_CLASSES, parse_classes
from mmwsss.utils.io import VOC_PALETTE

#: at most this many problems are listed in the error message
MAX_LISTED_PROBLEMS = 10


def _image_size(path):
    """(width, height) of an image from its header; raises ValueError."""
    if not osp.isfile(path):
        raise ValueError(f'{path}: image file not found')
    try:
        with Image.open(path) as img:
            return img.size
    except (OSError, SyntaxError) as e:
        raise ValueError(f'{path}: cannot read image ({e})') from e


def check_label_file(img_path, seg_path, num_classes=None, ignore_index=255):
    """Check one (image, label) pair; return a problem string or None.

    The label must exist, be a readable single-channel PNG (palette or grey)
    of the image's size. With ``num_classes`` the pixel values are decoded
    and must lie in ``[0, num_classes)`` or equal ``ignore_index``.
    """
    try:
        size = _image_size(img_path)
    except ValueError as e:
        return str(e)
    if not osp.isfile(seg_path):
        return f'{seg_path}: label file not found (image {img_path})'
    try:
        with Image.open(seg_path) as lab:
            if lab.mode not in ('P', 'L'):
                return (f'{seg_path}: expected a palette or grey PNG of '
                        f'class indices, got mode {lab.mode!r}')
            if lab.size != size:
                return (f'{seg_path}: label size {lab.size[0]}x{lab.size[1]}'
                        f' (WxH) differs from image {img_path} '
                        f'{size[0]}x{size[1]}')
            if num_classes is not None:
                values = np.unique(np.asarray(lab))
                bad = values[(values >= num_classes)
                             & (values != ignore_index)]
                if bad.size:
                    return (f'{seg_path}: label values {bad.tolist()} are '
                            f'not classes 0..{num_classes - 1} nor ignore '
                            f'{ignore_index}')
            else:
                lab.verify()
    except (OSError, SyntaxError) as e:
        return f'{seg_path}: cannot read label PNG ({e})'
    return None


@DATASETS.register_module()
class PseudoLabelVOCDataset(BaseSegDataset):
    """VOC images with labels from a given folder (pseudo-labels or GT).

    Args:
        ann_file (str): split list (one id per line), relative to
            ``data_root`` or absolute, e.g.
            ``'ImageSets/Segmentation/train_aug.txt'``.
        data_prefix (dict): ``img_path`` (``'JPEGImages'``) and
            ``seg_map_path``: the label folder, relative to ``data_root`` or
            absolute (a pseudo-label folder may live anywhere).
        metainfo (dict, optional): ``classes`` (and optionally ``palette``);
            default the 21 VOC classes. ``classes`` is the tuple of names
            (background first), or a string: ``'voc'``, ``'toy'`` or a
            ``classes.txt`` (under ``data_root`` if relative; see
            :func:`mmwsss.datasets.voc_layout.parse_classes`). Without a
            palette, VOC's palette is used (label PNGs are written with
            it).
        check_files (bool): check every image/label pair at construction
            (exists, readable, single channel, same size). Default True.
        check_label_values (bool): also decode every label and check its
            values are classes or ignore (slower). Default False.
        check_workers (int): threads used by the checks. Default 8.
        **kwargs: the other arguments of mmseg's ``BaseSegDataset``.
    """
    METAINFO = dict(
        classes=VOC_CLASSES,
        palette=VOC_PALETTE[:len(VOC_CLASSES)].tolist())

    def __init__(self,
                 ann_file,
                 img_suffix='.jpg',
                 seg_map_suffix='.png',
                 metainfo=None,
                 check_files=True,
                 check_label_values=False,
                 check_workers=8,
                 **kwargs):
        self.check_files = check_files
        self.check_label_values = check_label_values
        self.check_workers = check_workers
        if metainfo is not None and isinstance(metainfo.get('classes'), str):
            # 'voc', 'toy' or a classes.txt (under data_root if relative)
            metainfo = dict(metainfo, classes=tuple(parse_classes(
                metainfo['classes'], kwargs.get('data_root'))))
        if metainfo is not None and 'classes' in metainfo \
                and 'palette' not in metainfo:
            metainfo = dict(metainfo)
            num = len(metainfo['classes'])
            if num > len(VOC_PALETTE):
                raise ValueError(f'{num} classes: give a palette in metainfo')
            metainfo['palette'] = VOC_PALETTE[:num].tolist()
        super().__init__(
            ann_file=ann_file,
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            metainfo=metainfo,
            **kwargs)

    @classmethod
    def get_label_map(cls, new_classes=None):
        """Labels are indices into the configured classes: no remapping."""
        return None

    def load_data_list(self):
        if not self.ann_file or not osp.isfile(self.ann_file):
            raise ValueError(f'{self.ann_file!r}: split list not found '
                             f'(ann_file of {type(self).__name__})')
        for key in ('img_path', 'seg_map_path'):
            folder = self.data_prefix.get(key)
            if key == 'img_path' and not folder:
                raise ValueError('data_prefix.img_path is not set')
            if folder and not osp.isdir(folder):
                raise ValueError(f'{folder}: folder not found '
                                 f'(data_prefix.{key})')
        data_list = super().load_data_list()
        if not data_list:
            raise ValueError(f'{self.ann_file}: the split list is empty')
        return data_list

    def full_init(self):
        if self._fully_initialized:
            return
        super().full_init()
        if self.check_files:
            self.check_data_files()

    def check_data_files(self):
        """Check every image/label pair; raise ValueError naming the bad
        files (the first :data:`MAX_LISTED_PROBLEMS` and a count)."""
        num_classes = (len(self._metainfo['classes'])
                       if self.check_label_values else None)
        pairs = []
        for i in range(len(self)):
            info = self.get_data_info(i)
            if info.get('seg_map_path') is None:
                continue
            pairs.append((info['img_path'], info['seg_map_path']))

        def check(pair):
            return check_label_file(pair[0], pair[1], num_classes,
                                    self.ignore_index)

        if self.check_workers and self.check_workers > 1 and len(pairs) > 32:
            with ThreadPoolExecutor(self.check_workers) as pool:
                results = list(pool.map(check, pairs))
        else:
            results = [check(p) for p in pairs]
        problems = [r for r in results if r is not None]
        if problems:
            more = len(problems) - MAX_LISTED_PROBLEMS
            listed = '\n  '.join(problems[:MAX_LISTED_PROBLEMS])
            tail = f'\n  ... and {more} more' if more > 0 else ''
            raise ValueError(
                f'{type(self).__name__} ({self.ann_file}): '
                f'{len(problems)} of {len(pairs)} image/label pairs are '
                f'unusable:\n  {listed}{tail}')
