"""Where a VOC-layout data root keeps a split's files (numpy-free): split
lists ``<root>/ImageSets/Segmentation/<split>.txt``, ground truth
``<root>/SegmentationClassAug`` (else ``SegmentationClass``), and the check
that every id of a split has its file."""
import os.path as osp

from mmwsss.utils.io import read_image_list


def root_path(data_root, path):
    """``path`` under ``data_root`` unless it is absolute."""
    return path if osp.isabs(path) else osp.join(data_root, path)


def split_list_path(data_root, split):
    """A split name (``train``) -> ``<root>/ImageSets/Segmentation/
    train.txt``; an existing list file (absolute, or relative to the cwd or
    to ``data_root``) is returned as is."""
    if osp.isfile(split):
        return split
    if data_root and osp.isfile(osp.join(data_root, split)):
        return osp.join(data_root, split)
    name = split if split.endswith('.txt') else f'{split}.txt'
    return osp.join(data_root or '', 'ImageSets', 'Segmentation', name)


def read_split(data_root, split):
    """``(list file, ids)`` of a split name or list file."""
    path = split_list_path(data_root, split)
    return path, read_image_list(path)


def default_gt_dir(data_root):
    for name in ('SegmentationClassAug', 'SegmentationClass'):
        path = osp.join(data_root, name)
        if osp.isdir(path):
            return path
    return osp.join(data_root, 'SegmentationClassAug')


def require_files(folder, ids, suffix, what, split_file):
    """Raise a clear error when ``<folder>/<id><suffix>`` is missing."""
    if not osp.isdir(folder):
        raise FileNotFoundError(f'{what} folder not found: {folder}')
    missing = [i for i in ids if not osp.isfile(osp.join(folder, i + suffix))]
    if missing:
        raise FileNotFoundError(
            f'{len(missing)} of {len(ids)} images of {split_file} have no '
            f'{what} file in {folder}, e.g. '
            f'{osp.join(folder, missing[0] + suffix)}')
