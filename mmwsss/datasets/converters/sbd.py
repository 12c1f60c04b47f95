"""SBD (Hariharan et al., "Semantic contours from inverse detectors") ->
the ``SegmentationClassAug`` folder and ``train_aug`` list of VOC 2012.

SBD's release (``benchmark_RELEASE/dataset``) holds ``cls/<id>.mat``
(a MATLAB struct ``GTcls`` whose ``Segmentation`` field is the class-index
map, 0 = background, 1..20 = VOC's classes) and its ``train.txt`` /
``val.txt``. The augmented set used by WSSS papers is:

* masks: VOC 2012's own ``SegmentationClass/<id>.png`` for the images VOC
  segmented (official, with the 255 boundary band), SBD's mask for every
  other SBD image (SBD masks have no ignore band);
* ``train_aug`` = (SBD train + SBD val + VOC train) - VOC val: 10582 ids on
  the full data.
"""
import os.path as osp
import shutil

import numpy as np

from mmwsss.datasets.voc_layout import require_files
from mmwsss.utils.io import (atomic_write, check_label_values,
                             load_label_png, read_image_list, save_label_png)


def load_sbd_mat(path):
    """The class-index map (uint8 H x W) of one SBD ``cls/<id>.mat``."""
    from scipy.io import loadmat
    try:
        mat = loadmat(path, squeeze_me=True, struct_as_record=False)
    except Exception as e:   # scipy raises several types for bad files
        raise ValueError(f'{path}: not a readable MATLAB file ({e})') from e
    if 'GTcls' not in mat:
        raise ValueError(f'{path}: no GTcls struct (an SBD cls/ file has '
                         'one)')
    seg = getattr(mat['GTcls'], 'Segmentation', None)
    if seg is None:
        raise ValueError(f'{path}: GTcls has no Segmentation field')
    seg = np.asarray(seg)
    if seg.ndim != 2:
        raise ValueError(f'{path}: GTcls.Segmentation is {seg.ndim}-D, '
                         'expected a 2-D class map')
    if seg.size and (seg.min() < 0 or seg.max() > 255):
        raise ValueError(f'{path}: GTcls.Segmentation holds values outside '
                         '0..255, not class indices')
    return seg.astype(np.uint8)


def _sbd_dataset_dir(sbd_root):
    """``benchmark_RELEASE`` or its ``dataset`` folder."""
    for folder in (osp.join(sbd_root, 'dataset'), sbd_root):
        if osp.isdir(osp.join(folder, 'cls')):
            return folder
    raise FileNotFoundError(
        f'{sbd_root}: no SBD cls/ folder (expected {sbd_root}/dataset/cls '
        f'or {sbd_root}/cls with <id>.mat files)')


class _ConvertOne:
    def __init__(self, cls_dir, voc_mask_dir, out_dir, voc_ids, num_classes):
        self.cls_dir, self.voc_mask_dir = cls_dir, voc_mask_dir
        self.out_dir, self.voc_ids = out_dir, voc_ids
        self.num_classes = num_classes

    def __call__(self, img_id):
        out = osp.join(self.out_dir, img_id + '.png')
        if img_id in self.voc_ids:
            src = osp.join(self.voc_mask_dir, img_id + '.png')
            load_label_png(src, self.num_classes)     # checked, then copied
            with atomic_write(out) as tmp:
                shutil.copyfile(src, tmp)
            return 'voc'
        path = osp.join(self.cls_dir, img_id + '.mat')
        seg = load_sbd_mat(path)
        check_label_values(seg, path, self.num_classes)
        save_label_png(out, seg)
        return 'sbd'


def convert_sbd(sbd_root, voc_root, num_classes=21, nproc=0,
                out_dir='SegmentationClassAug', voc_mask_dir='SegmentationClass',
                log=print):
    """Write ``<voc_root>/<out_dir>/<id>.png`` for every SBD and VOC
    train/val image and ``ImageSets/Segmentation/train_aug.txt``.

    Args:
        sbd_root (str): SBD's ``benchmark_RELEASE`` (or its ``dataset``).
        voc_root (str): the ``VOC2012`` folder (``SegmentationClass`` and
            ``ImageSets/Segmentation/{train,val}.txt`` are read).
        num_classes (int): classes with background (VOC: 21); mask values
            must be below it or 255.
        nproc (int): worker processes (0: this one).

    Returns:
        dict: ``num_sbd``, ``num_voc`` (masks written from each source),
        ``train_aug`` (its number of ids) and ``missing_images`` (ids of
        ``train_aug`` without ``JPEGImages/<id>.jpg``).
    """
    from mmwsss.utils.sharding import map_images
    sbd = _sbd_dataset_dir(sbd_root)
    seg_lists = osp.join(voc_root, 'ImageSets', 'Segmentation')
    sbd_ids = []
    for name in ('train.txt', 'val.txt'):
        sbd_ids += read_image_list(osp.join(sbd, name))
    voc_train = read_image_list(osp.join(seg_lists, 'train.txt'))
    voc_val = read_image_list(osp.join(seg_lists, 'val.txt'))
    voc_ids = set(voc_train) | set(voc_val)
    voc_masks = osp.join(voc_root, voc_mask_dir)
    require_files(voc_masks, sorted(voc_ids), '.png', 'VOC mask',
                  osp.join(seg_lists, 'train.txt + val.txt'))
    sbd_only = sorted(set(sbd_ids) - voc_ids)
    require_files(osp.join(sbd, 'cls'), sbd_only, '.mat', 'SBD mask',
                  osp.join(sbd, 'train.txt + val.txt'))
    todo = sorted(set(sbd_ids) | voc_ids)
    out = osp.join(voc_root, out_dir)
    counts = dict(sbd=0, voc=0)
    for source in map_images(
            _ConvertOne(osp.join(sbd, 'cls'), voc_masks, out, voc_ids,
                        num_classes), todo, nproc, desc='SBD + VOC masks',
            chunksize=16, ordered=False):
        counts[source] += 1
    val = set(voc_val)
    train_aug = sorted((set(sbd_ids) | set(voc_train)) - val)
    with atomic_write(osp.join(seg_lists, 'train_aug.txt')) as tmp:
        with open(tmp, 'w') as f:
            f.write(''.join(i + '\n' for i in train_aug))
    img_dir = osp.join(voc_root, 'JPEGImages')
    missing = [i for i in train_aug
               if not osp.isfile(osp.join(img_dir, i + '.jpg'))]
    log(f'{out}: {counts["voc"]} masks from VOC, {counts["sbd"]} from SBD; '
        f'{osp.join(seg_lists, "train_aug.txt")}: {len(train_aug)} ids'
        + (f'; {len(missing)} of them have no image in {img_dir}'
           if missing else ''))
    return dict(num_sbd=counts['sbd'], num_voc=counts['voc'],
                train_aug=len(train_aug), missing_images=missing)
