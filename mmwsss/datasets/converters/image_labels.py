"""Image-level labels (``cls_labels.npy``: dict id -> float32[K], no
background) from segmentation masks or from VOC-style XML annotations.

The two sources differ on real data: VOC's XML lists every annotated object
(also tiny, truncated or ``difficult`` ones), while a mask only holds what
was segmented; on VOC 2012 about 7 % of the images get different labels.
IRN and SEAM use the XML labels (all ``object/name`` entries, ``difficult``
included), which is this module's default too.
"""
import os.path as osp
import xml.etree.ElementTree as ET

import numpy as np
from tqdm import tqdm

from mmwsss.datasets.voc_layout import labels_from_mask
from mmwsss.utils.io import load_label_png


def labels_from_masks(ids, mask_dir, num_classes, ignore_index=255,
                      progress=True):
    """``dict id -> float32[num_classes]``: the foreground classes present
    in ``<mask_dir>/<id>.png`` (values 1..K; 0 and ``ignore_index``
    skipped)."""
    table = {}
    for img_id in tqdm(ids, desc='labels from masks', disable=not progress):
        path = osp.join(mask_dir, img_id + '.png')
        if not osp.isfile(path):
            raise FileNotFoundError(f'mask not found: {path}')
        try:
            table[img_id] = labels_from_mask(load_label_png(path),
                                             num_classes, ignore_index)
        except ValueError as e:
            raise ValueError(f'{path}: {e}') from e
    return table


def parse_voc_xml(path, skip_difficult=False):
    """Object class names of one VOC-style XML annotation (the ``name`` of
    every top-level ``object``; parts such as a person's ``head`` are not
    objects), in file order."""
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as e:
        raise ValueError(f'{path}: not a readable XML annotation ({e})') \
            from e
    names = []
    for obj in root.findall('object'):
        name = obj.findtext('name')
        if name is None or not name.strip():
            raise ValueError(f'{path}: an <object> without a <name>')
        if skip_difficult and (obj.findtext('difficult') or '0').strip() \
                == '1':
            continue
        names.append(name.strip())
    return names


def labels_from_xml(ids, ann_dir, class_names, skip_difficult=False,
                    ignore_unknown=False, progress=True):
    """``dict id -> float32[K]`` from ``<ann_dir>/<id>.xml``.

    Args:
        class_names (sequence[str]): the K foreground classes, in label
            order.
        skip_difficult (bool): leave out objects marked ``difficult``
            (IRN/SEAM keep them).
        ignore_unknown (bool): skip object names that are not classes
            (default: an error naming the file and the name).
    """
    index = {n: i for i, n in enumerate(class_names)}
    table = {}
    for img_id in tqdm(ids, desc='labels from XML', disable=not progress):
        path = osp.join(ann_dir, img_id + '.xml')
        if not osp.isfile(path):
            raise FileNotFoundError(f'XML annotation not found: {path}')
        vec = np.zeros(len(class_names), dtype=np.float32)
        for name in parse_voc_xml(path, skip_difficult):
            if name in index:
                vec[index[name]] = 1.0
            elif not ignore_unknown:
                raise ValueError(
                    f'{path}: object class {name!r} is not one of the '
                    f'{len(class_names)} classes ({", ".join(class_names)})'
                    '; give the right class names or --ignore-unknown')
        table[img_id] = vec
    return table
