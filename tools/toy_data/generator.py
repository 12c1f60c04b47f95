"""Write the procedural toy dataset: a VOC 2012 layout and a DUTS layout.

::

    OUT/meta.json                      arguments, classes, counts, objects
    OUT/VOC2012/JPEGImages/<id>.jpg
    OUT/VOC2012/SegmentationClassAug/<id>.png     palette PNG, 255 = ignore
    OUT/VOC2012/ImageSets/Segmentation/{train,train_aug,val}.txt
    OUT/VOC2012/cls_labels.npy         dict id -> float32[6] (from the masks)
    OUT/VOC2012/classes.txt            the 6 class names, in label order
    OUT/DUTS/DUTS-TR/{DUTS-TR-Image/*.jpg, DUTS-TR-Mask/*.png}
    OUT/DUTS/DUTS-TE/{DUTS-TE-Image/*.jpg, DUTS-TE-Mask/*.png}

Every image is drawn from its own generator, seeded by ``(seed, part,
index)``; the DUTS part uses ``seed + 10007`` and a different part tag, so
it never repeats a VOC image. Same arguments => byte-identical files.
"""
import json
import os
import os.path as osp

import numpy as np
from PIL import Image

from mmwsss.datasets.toy_metainfo import TOY_CLASSES
from mmwsss.datasets.voc_layout import CLASSES_FILE, write_class_names
from mmwsss.utils.io import atomic_write, save_grey_png, save_label_png

from .scene import render_scene
from .shapes import CLASS_NAMES

DUTS_SEED_OFFSET = 10007
VAL_FRACTION = 0.3
DUTS_TEST_FRACTION = 0.2
JPEG_SETTINGS = dict(format='JPEG', quality=95, subsampling=0,
                     optimize=False, progressive=False)


def voc_id(index):
    return f'toy_{index:06d}'


def duts_id(index, test):
    return f'toy_sal_{"te" if test else "tr"}_{index:06d}'


def scene_rng(seed, part, index):
    """The generator of one image. ``part`` 0 = VOC, 1 = DUTS."""
    base = seed + DUTS_SEED_OFFSET if part == 1 else seed
    return np.random.default_rng([base, part, index])


def save_jpeg(path, image):
    """Save an RGB uint8 image as JPEG with fixed encoder settings."""
    with atomic_write(path) as tmp:
        Image.fromarray(image, mode='RGB').save(tmp, **JPEG_SETTINGS)


def split_ids(seed, num_images):
    """``train_aug`` (70 %) / ``val`` (30 %) and ``train`` = half of
    ``train_aug``; each sorted."""
    perm = np.random.default_rng([seed, 2]).permutation(num_images)
    n_val = max(1, int(round(VAL_FRACTION * num_images)))
    val = sorted(perm[:n_val])
    train_aug = perm[n_val:]
    train = sorted(train_aug[:max(1, len(train_aug) // 2)])
    return dict(train=[voc_id(i) for i in train],
                train_aug=[voc_id(i) for i in sorted(train_aug)],
                val=[voc_id(i) for i in val])


def _voc_job(args):
    root, seed, size, index = args
    image, label, _, info = render_scene(scene_rng(seed, 0, index), size)
    name = voc_id(index)
    img_path = osp.join(root, 'JPEGImages', name + '.jpg')
    png_path = osp.join(root, 'SegmentationClassAug', name + '.png')
    if not osp.isfile(img_path):
        save_jpeg(img_path, image)
    if not osp.isfile(png_path):
        save_label_png(png_path, label)
    return name, info


def _duts_job(args):
    root, seed, size, index, num_train = args
    test = index >= num_train
    image, _, saliency, info = render_scene(scene_rng(seed, 1, index), size,
                                            duts=True)
    part = 'DUTS-TE' if test else 'DUTS-TR'
    name = duts_id(index - num_train if test else index, test)
    img_path = osp.join(root, part, f'{part}-Image', name + '.jpg')
    mask_path = osp.join(root, part, f'{part}-Mask', name + '.png')
    if not osp.isfile(img_path):
        save_jpeg(img_path, image)
    if not osp.isfile(mask_path):
        save_grey_png(mask_path, saliency)
    return name, info


def _run(fn, jobs, desc, progress):
    it = map(fn, jobs)
    if not progress:
        return it
    from tqdm import tqdm
    return tqdm(it, total=len(jobs), desc=desc, unit='img')


def _write_text(path, text):
    with atomic_write(path) as tmp:
        with open(tmp, 'w') as f:
            f.write(text)


def _meta_args(seed, num_images, size, num_duts):
    return dict(seed=int(seed), num_images=int(num_images), size=int(size),
                num_duts=int(num_duts))


def generate_toy_dataset(out, seed=0, num_images=300, size=160,
                         num_duts=None, progress=True):
    """Write the toy dataset under ``out`` (see the module docstring) and
    return its metadata (also written to ``out/meta.json``).

    Files that already exist are kept (an interrupted run resumes); a
    folder made with other arguments is refused. One process: the default
    set takes seconds (worker processes would spend longer importing).
    """
    if num_images < 4:
        raise ValueError(f'--num-images must be >= 4, got {num_images}')
    if size < 32:
        raise ValueError(f'--size must be >= 32 pixels, got {size}')
    num_duts = num_images if num_duts is None else num_duts
    if num_duts < 2:
        raise ValueError(f'--num-duts must be >= 2, got {num_duts}')
    args = _meta_args(seed, num_images, size, num_duts)
    meta_path = osp.join(out, 'meta.json')
    if osp.isfile(meta_path):
        with open(meta_path) as f:
            try:
                old = json.load(f).get('args')
            except ValueError:
                old = None
        if old != args:
            raise ValueError(
                f'{meta_path}: this folder holds a toy dataset made with '
                f'{old}, not {args}; use an empty --out folder')
    os.makedirs(out, exist_ok=True)
    _write_text(meta_path, json.dumps(dict(args=args, complete=False),
                                      indent=1, sort_keys=True) + '\n')

    voc_root = osp.join(out, 'VOC2012')
    voc_info = dict(_run(_voc_job, [(voc_root, seed, size, i)
                                    for i in range(num_images)],
                         'toy VOC', progress))
    splits = split_ids(seed, num_images)
    for name, ids in splits.items():
        _write_text(osp.join(voc_root, 'ImageSets', 'Segmentation',
                             name + '.txt'), '\n'.join(ids) + '\n')
    cls_labels = {}
    for name in sorted(voc_info):
        vec = np.zeros(len(CLASS_NAMES), np.float32)
        for o in voc_info[name]['objects']:
            vec[o['label'] - 1] = 1.0
        cls_labels[name] = vec
    with atomic_write(osp.join(voc_root, 'cls_labels.npy')) as tmp:
        with open(tmp, 'wb') as f:
            np.save(f, cls_labels, allow_pickle=True)
    # the class names, where the evaluators and datasets look for them
    write_class_names(osp.join(voc_root, CLASSES_FILE), CLASS_NAMES)

    duts_root = osp.join(out, 'DUTS')
    num_te = max(1, int(round(DUTS_TEST_FRACTION * num_duts)))
    num_tr = num_duts - num_te
    duts_info = dict(_run(_duts_job, [(duts_root, seed, size, i, num_tr)
                                      for i in range(num_duts)],
                          'toy DUTS', progress))

    n_cls = [len(v['classes']) for v in voc_info.values()]
    meta = dict(
        args=args,
        complete=True,
        classes=list(TOY_CLASSES),
        ignore_index=255,
        voc=dict(
            num_images=num_images,
            splits={k: len(v) for k, v in splits.items()},
            single_class_images=sum(n == 1 for n in n_cls),
            multi_class_images=sum(n > 1 for n in n_cls),
            images_per_class={
                c: sum(c in v['classes'] for v in voc_info.values())
                for c in CLASS_NAMES},
            images_with_rails=sum(v['rails'] is not None
                                  for v in voc_info.values()),
            images=voc_info),
        duts=dict(
            train=num_tr, test=num_te,
            chairs=sum(o['cls'] == 'chair' for v in duts_info.values()
                       for o in v['objects']),
            salient_chairs=sum(o['cls'] == 'chair' and o['salient']
                               for v in duts_info.values()
                               for o in v['objects']),
            images=duts_info),
    )
    _write_text(meta_path, json.dumps(meta, indent=1, sort_keys=True) + '\n')
    return meta
