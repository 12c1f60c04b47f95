"""Browse pseudo-labels: image | pseudo-label | saliency | fused | GT tiles.

One PNG per image with a row of equal tiles (each captioned; label maps in
the dataset palette) and a legend of the classes that appear in it, plus
``index.csv`` (id, the per-image mIoU of each label folder against the GT).
The images are a list (``ids``) or the ``worst_k`` of a split by the
per-image mIoU of one label folder (``rank_by``). numpy + OpenCV only.
"""
import csv
import os
import os.path as osp

import cv2
import numpy as np

from mmwsss.utils.io import (atomic_write, load_grey_png, load_label_png,
                             read_image)
from mmwsss.utils.seg_metrics import confusion_matrix, scores_from_confusion

from . import tiles as T

#: the label columns, in order: (key, caption)
LABEL_COLUMNS = (('pseudo', 'pseudo-label'), ('saliency', 'saliency'),
                 ('fused', 'fused label'), ('gt', 'ground truth'))


def image_miou(gt, label, num_classes):
    """mIoU (fraction) of one label map against its GT over the classes
    present in either (GT 255 ignored; a predicted 255 counts as
    background); NaN when the GT has no labelled pixel."""
    cm = confusion_matrix(gt, label, num_classes)
    if cm.sum() == 0:
        return float('nan')
    return scores_from_confusion(cm)['mIoU']


class LabelBrowser:
    """Draw label rows of single images.

    Args:
        img_dir (str): folder of ``<id><img_suffix>`` images.
        class_names (sequence[str]): names, background first.
        dirs (dict): folders keyed as :data:`LABEL_COLUMNS` (``pseudo``,
            ``saliency``, ``fused``, ``gt``); missing keys are left out.
        tile_size (int): side of the square tiles, in pixels.
    """

    def __init__(self, img_dir, class_names, dirs, tile_size=192,
                 img_suffix='.jpg'):
        self.img_dir = img_dir
        self.class_names = list(class_names)
        self.dirs = {k: v for k, v in dirs.items() if v}
        unknown = set(self.dirs) - {k for k, _ in LABEL_COLUMNS}
        if unknown:
            raise ValueError(f'unknown label folders {sorted(unknown)}; '
                             f'known: {[k for k, _ in LABEL_COLUMNS]}')
        for key, folder in self.dirs.items():
            if not osp.isdir(folder):
                raise FileNotFoundError(f'{key} folder not found: {folder}')
        self.tile_size = tile_size
        self.img_suffix = img_suffix

    def path(self, key, img_id):
        return osp.join(self.dirs[key], img_id + '.png')

    def labels(self, img_id):
        """``{key: HxW array}`` of the label folders that have this image
        (label maps as uint8 classes, saliency as uint8 grey)."""
        out = {}
        for key, _ in LABEL_COLUMNS:
            if key in self.dirs and osp.isfile(self.path(key, img_id)):
                out[key] = (load_grey_png if key == 'saliency' else
                            load_label_png)(self.path(key, img_id))
        return out

    def scores(self, img_id, labels=None):
        """Per-image mIoU (fraction) of each label folder against the GT."""
        labels = self.labels(img_id) if labels is None else labels
        gt = labels.get('gt')
        if gt is None:
            return {}
        n = len(self.class_names)
        out = {}
        for key in ('pseudo', 'fused'):
            if key in labels:
                if labels[key].shape != gt.shape:
                    raise ValueError(
                        f'{self.path(key, img_id)}: size {labels[key].shape}'
                        f' differs from its ground truth {gt.shape}')
                out[key] = image_miou(gt, labels[key], n)
        return out

    def row(self, img_id):
        """``(BGR picture, scores)`` of one image."""
        img_path = osp.join(self.img_dir, img_id + self.img_suffix)
        img = read_image(img_path)
        labels = self.labels(img_id)
        scores = self.scores(img_id, labels)
        s = self.tile_size
        tiles = [T.captioned(T.fit(img, s), img_id)]
        present = set()
        for key, cap in LABEL_COLUMNS:
            if key not in self.dirs:
                continue
            lab = labels.get(key)
            if lab is None:
                tile = np.full((s, s, 3), 235, np.uint8)
                cv2.putText(tile, 'missing', (8, s // 2), T.FONT, 0.5,
                            T.GREY, 1, cv2.LINE_AA)
            elif key == 'saliency':
                tile = T.fit(T.grey(lab), s)
            else:
                present |= set(np.unique(lab).tolist())
                tile = T.fit(T.colorize(lab), s, cv2.INTER_NEAREST)
            if key in scores:
                cap = f'{cap}: mIoU {100 * scores[key]:.1f}'
            tiles.append(T.captioned(tile, cap))
        row = T.hstack(tiles)
        classes = sorted(c for c in present if c < len(self.class_names))
        legend = T.legend(self.class_names, row.shape[1], classes=classes,
                          ignore=255 in present)
        return T.vstack([row, legend]), scores


def rank_worst(browser, ids, k, rank_by='pseudo', log=print):
    """The ``k`` ids with the lowest per-image mIoU of ``rank_by``, with
    their scores (images without GT or without that label are skipped)."""
    if rank_by not in browser.dirs or 'gt' not in browser.dirs:
        raise ValueError(f'--worst-k ranks by the {rank_by} labels against '
                         'the ground truth: give both folders')
    ranked = []
    for img_id in ids:
        miou = browser.scores(img_id).get(rank_by)
        if miou is not None and not np.isnan(miou):
            ranked.append((miou, img_id))
    ranked.sort()
    log(f'ranked {len(ranked)} of {len(ids)} images by their {rank_by} '
        'mIoU')
    return [i for _, i in ranked[:k]]


def browse(browser, ids, out_dir, log=print):
    """Write ``<out_dir>/<id>.png`` for each id and ``index.csv``; returns
    the rows of the CSV as dicts."""
    os.makedirs(out_dir, exist_ok=True)
    rows = []
    for img_id in ids:
        picture, scores = browser.row(img_id)
        T.write_png(osp.join(out_dir, img_id + '.png'), picture)
        rows.append(dict(id=img_id, **{
            f'{k}_mIoU': '' if k not in scores else f'{100 * scores[k]:.2f}'
            for k in ('pseudo', 'fused')}))
    with atomic_write(osp.join(out_dir, 'index.csv')) as tmp:
        with open(tmp, 'w', newline='') as f:
            w = csv.DictWriter(f, ['id', 'pseudo_mIoU', 'fused_mIoU'])
            w.writeheader()
            w.writerows(rows)
    log(f'{len(rows)} images written to {out_dir} (index.csv: per-image '
        'mIoU in percent)')
    return rows
