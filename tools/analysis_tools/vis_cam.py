"""CAM overlays for chosen images, from a classifier or from stage-cam files.

    # any classifier config + checkpoint (CAMs computed here)
    python tools/analysis_tools/vis_cam.py CONFIG CHECKPOINT \
        (--data-root D (--ids ID ... | --split S [--limit N]) | --img-dir DIR) \
        [--target-class NAME ...] [--score-thr 0.5] [--scales 1.0 0.5 1.5 2.0] \
        [--no-flip] [--classes voc|toy|CLASSES.txt|a,b,...] --out OUT
    # the CAMs a cam stage wrote (<id>.npz), no model
    python tools/analysis_tools/vis_cam.py --cam-dir CAMS --data-root D \
        (--ids ID ... | --split S) --out OUT

Writes <OUT>/<id>.png: the image, then one heat map per class over it
(blue = 0, red = 1, normalised as the method's CAMs) with the class name and,
with a model, its predicted probability, and a colour bar. Which classes:
--target-class, else the image-level label (<D>/cls_labels.npy) when the
image has one, else the classes the classifier predicts with probability
>= --score-thr (at least the top one). <OUT>/index.csv lists, per image,
the classes drawn, where they came from (target, label, predicted, file)
and their probabilities. The CAMs are the method's (the CAM
head's W * X, multi-scale + flip, as stage cam computes them).
See docs/analysis_tools.md.
"""
import argparse
import csv
import os
import os.path as osp
import sys

import numpy as np

from mmwsss.analysis.cam_overlay import cam_panel
from mmwsss.analysis.tiles import write_png
from mmwsss.datasets.voc_layout import (ImageLabels, read_split,
                                        resolve_class_names)
from mmwsss.utils.io import load_cam_npz, read_image

IMG_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp')


def parse_args(argv=None):
    from mmengine.config import DictAction
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config', nargs='?', help='classifier config')
    p.add_argument('checkpoint', nargs='?', help='its checkpoint')
    p.add_argument('--cam-dir', help='draw these stage-cam files (<id>.npz) '
                   'instead of running a classifier')
    p.add_argument('--data-root', help='VOC-style folder (JPEGImages, '
                   'cls_labels.npy, ImageSets/Segmentation)')
    p.add_argument('--img-dir', help='a folder of images (every image in it, '
                   'up to --limit); with --data-root: the image folder '
                   '(default <D>/JPEGImages)')
    p.add_argument('--ids', nargs='+', help='image ids')
    p.add_argument('--split', help='list under ImageSets/Segmentation or a '
                   'list file')
    p.add_argument('--limit', type=int, default=20,
                   help='at most this many images of --split / --img-dir')
    p.add_argument('--target-class', nargs='+',
                   help='draw these classes (names) for every image')
    p.add_argument('--score-thr', type=float, default=0.5,
                   help='without a label: classes predicted with at least '
                   'this probability')
    p.add_argument('--scales', type=float, nargs='+',
                   default=[1.0, 0.5, 1.5, 2.0])
    p.add_argument('--no-flip', action='store_true')
    p.add_argument('--classes', help="class names: 'voc', 'toy', a classes.txt or "
                   "comma-separated names (default: from "
                   'the classifier\'s number of classes)')
    p.add_argument('--device', default='cpu')
    p.add_argument('--tile-size', type=int, default=192)
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    p.add_argument('--out', required=True, help='output folder')
    from mmwsss.utils.cli import add_common_args
    add_common_args(p, checkpoints=True)
    args = p.parse_args(argv)
    if args.cam_dir:
        if args.config or not args.data_root or not (args.ids or args.split):
            p.error('--cam-dir draws stage-cam files: give --data-root and '
                    '--ids or --split, and no config')
    elif not (args.config and args.checkpoint):
        p.error('give CONFIG CHECKPOINT (or --cam-dir)')
    if not args.data_root and not args.img_dir:
        p.error('give --data-root (with --ids / --split) or --img-dir')
    if args.data_root and not (args.ids or args.split):
        p.error('with --data-root, give --ids or --split')
    return args


def _images(args):
    """``[(id, image path)]``."""
    if args.data_root and (args.ids or args.split):
        img_dir = args.img_dir or osp.join(args.data_root, 'JPEGImages')
        ids = args.ids or read_split(args.data_root, args.split)[1][
            :args.limit]
        return [(i, osp.join(img_dir, i + '.jpg')) for i in ids]
    if not osp.isdir(args.img_dir):
        raise FileNotFoundError(f'image folder not found: {args.img_dir}')
    files = sorted(f for f in os.listdir(args.img_dir)
                   if f.lower().endswith(IMG_SUFFIXES))[:args.limit]
    if not files:
        raise ValueError(f'{args.img_dir}: no image ({IMG_SUFFIXES})')
    return [(osp.splitext(f)[0], osp.join(args.img_dir, f)) for f in files]


def _labels(args, num_fg):
    if not args.data_root:
        return None
    path = osp.join(args.data_root, 'cls_labels.npy')
    return ImageLabels(args.data_root, num_classes=num_fg) \
        if osp.isfile(path) else None


def _target_keys(names, targets):
    keys = []
    for t in targets:
        if t not in names[1:]:
            raise ValueError(f'--target-class {t!r} is not a foreground '
                             f'class: {names[1:]}')
        keys.append(names.index(t) - 1)
    return np.array(keys, dtype=np.int64)


def _write_index(out, rows):
    os.makedirs(out, exist_ok=True)
    with open(osp.join(out, 'index.csv'), 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['id', 'classes', 'source', 'probabilities'])
        w.writerows(rows)


def main(argv=None):
    args = parse_args(argv)
    try:
        images = _images(args)
        run = run_from_files if args.cam_dir else run_model
        _write_index(args.out, run(args, images))
    except (OSError, ValueError, KeyError) as e:
        print(f'vis_cam: {e}', file=sys.stderr)
        sys.exit(1)
    print(f'{len(images)} CAM overlays written to {args.out}')


def run_from_files(args, images):
    names, rows = None, []
    for img_id, path in images:
        keys, cams = load_cam_npz(osp.join(args.cam_dir, img_id + '.npz'))
        if names is None:
            names = resolve_class_names(args.classes, None, args.data_root)
        if args.target_class:
            want = _target_keys(names, args.target_class)
            pick = [i for i, k in enumerate(keys) if k in set(want)]
            keys, cams = keys[pick], cams[pick]
        write_png(osp.join(args.out, img_id + '.png'),
                  cam_panel(read_image(path), keys, cams, names,
                            args.tile_size, title=img_id))
        rows.append([img_id, ' '.join(names[k + 1] for k in keys),
                     'target' if args.target_class else 'file', ''])
    return rows


def run_model(args, images):
    import torch

    from mmwsss.apis.classifier import CAMModel
    model = CAMModel(args.config, args.checkpoint, args.device,
                     args.cfg_options)
    names = resolve_class_names(args.classes, model.num_classes + 1,
                                args.data_root)
    if len(names) != model.num_classes + 1:
        raise ValueError(f'{len(names) - 1} class names for a classifier of '
                         f'{model.num_classes} classes')
    labels = _labels(args, model.num_classes)
    fixed = _target_keys(names, args.target_class) \
        if args.target_class else None
    rows = []
    for img_id, path in images:
        img = read_image(path)
        with torch.inference_mode():
            x = model.prepare(img)
            probs = torch.sigmoid(model.model.head(model.model.extract_feat(
                x))).flatten().cpu().numpy()
        keys, source = fixed, 'target'
        if keys is None and labels is not None:
            try:
                keys, source = labels.keys(img_id), 'label'
            except KeyError:  # not in cls_labels.npy: what is predicted
                keys = None
        if keys is None:
            source = 'predicted'
            keys = np.flatnonzero(probs >= args.score_thr)
            if not len(keys):
                keys = np.array([int(np.argmax(probs))])
        cams = model(img, keys, tuple(args.scales), not args.no_flip)
        write_png(osp.join(args.out, img_id + '.png'),
                  cam_panel(img, keys, cams, names, args.tile_size,
                            scores=probs[keys], title=img_id))
        rows.append([img_id, ' '.join(names[k + 1] for k in keys), source,
                     ' '.join(f'{p:.4f}' for p in probs[keys])])
    return rows


if __name__ == '__main__':
    from mmwsss.utils.cli import run_main
    run_main(main)
