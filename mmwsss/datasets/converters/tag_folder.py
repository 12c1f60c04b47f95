"""A folder of images + a CSV of their tags -> the VOC layout mmwsss reads.

The CSV has a header row and one row per image::

    image,tags,split
    img_001.jpg,lemon;leaf,train_aug;train
    img_002.png,grape,train_aug
    img_003.jpg,lemon,val

* ``image``: the file name under the image folder (any format Pillow
  reads; the id is the name without its extension);
* ``tags``: the image's classes, separated by ``;`` (may be empty: an image
  with background only);
* ``split`` (optional column): the split lists the image goes into,
  separated by ``;`` (default: one split for all, ``train_aug``).

Written under the output root (the ``VOC2012`` folder)::

    JPEGImages/<id>.jpg                 JPEG files copied, others converted
    SegmentationClassAug/<id>.png       masks, when a mask folder is given
    ImageSets/Segmentation/<split>.txt  one list per split
    cls_labels.npy                      dict id -> float32[K] from the tags
    classes.txt                         the K class names, in label order
"""
import csv
import os
import os.path as osp
import shutil

import numpy as np
from PIL import Image
from tqdm import tqdm

from mmwsss.datasets.voc_layout import (CLASSES_FILE, labels_from_mask,
                                        parse_classes, save_cls_labels,
                                        write_class_names)
from mmwsss.utils.io import (atomic_write, check_image_file, load_label_png,
                             save_label_png)

SEP = ';'


def _split_field(value):
    return [v.strip() for v in (value or '').split(SEP) if v.strip()]


def read_tag_csv(path, default_split='train_aug'):
    """Rows of a tag CSV as dicts ``image``, ``id``, ``tags``, ``splits``,
    ``line``; errors name the file and line."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'tag CSV not found: {path}')
    with open(path, newline='', encoding='utf-8-sig') as f:
        reader = csv.DictReader(f)
        fields = [c.strip() for c in (reader.fieldnames or [])]
        for need in ('image', 'tags'):
            if need not in fields:
                raise ValueError(f'{path}: no {need!r} column (the header '
                                 f'is {fields}; expected image,tags[,split])')
        reader.fieldnames = fields
        rows, seen = [], {}
        for n, row in enumerate(reader, start=2):
            image = (row.get('image') or '').strip()
            if not image:
                raise ValueError(f'{path}:{n}: empty image name')
            img_id = osp.splitext(osp.basename(image))[0]
            if img_id in seen:
                raise ValueError(f'{path}:{n}: image id {img_id!r} already '
                                 f'on line {seen[img_id]}')
            seen[img_id] = n
            splits = _split_field(row.get('split')) or [default_split]
            rows.append(dict(image=image, id=img_id,
                             tags=_split_field(row.get('tags')),
                             splits=splits, line=n))
    if not rows:
        raise ValueError(f'{path}: no image rows')
    return rows


def _copy_image(src, dst):
    if osp.splitext(src)[1].lower() in ('.jpg', '.jpeg'):
        check_image_file(src)
        with atomic_write(dst) as tmp:
            shutil.copyfile(src, tmp)
        return
    try:
        with Image.open(src) as img:
            rgb = img.convert('RGB')
    except (OSError, SyntaxError, ValueError) as e:
        raise ValueError(f'{src}: cannot read the image ({e})') from e
    with atomic_write(dst) as tmp:
        rgb.save(tmp, format='JPEG', quality=95)


def tag_folder_to_voc(img_dir, csv_path, out_root, classes=None,
                      mask_dir=None, default_split='train_aug',
                      progress=True, log=print):
    """Convert a folder of images and a tag CSV into a VOC layout.

    Args:
        img_dir (str): folder of the CSV's image files.
        csv_path (str): the tag CSV (see the module doc).
        out_root (str): the output ``VOC2012``-style folder.
        classes: the foreground classes in label order (names, a
            ``classes.txt`` or a comma-separated string); default: the
            tags of the CSV, sorted. Written to ``classes.txt``.
        mask_dir (str, optional): folder of ``<id>.png`` class-index masks
            (palette or grey; values 1..K, 0 background, 255 ignore) for the
            images that have one (those of the splits you evaluate on).

    Returns:
        dict: ``classes``, ``num_images``, ``splits`` (name -> count),
        ``num_masks`` and ``tags_differ_from_mask`` (ids whose tags name
        other classes than their mask holds).
    """
    rows = read_tag_csv(csv_path, default_split)
    if classes is None:
        names = sorted({t for r in rows for t in r['tags']})
        if not names:
            raise ValueError(f'{csv_path}: no tags at all; give the classes')
    else:
        names = parse_classes(classes)[1:]
    index = {n: i for i, n in enumerate(names)}
    for r in rows:
        unknown = [t for t in r['tags'] if t not in index]
        if unknown:
            raise ValueError(f'{csv_path}:{r["line"]}: tag(s) {unknown} are '
                             f'not among the classes {names}')
    img_out = osp.join(out_root, 'JPEGImages')
    mask_out = osp.join(out_root, 'SegmentationClassAug')
    table, differ, num_masks = {}, [], 0
    for r in tqdm(rows, desc='images', disable=not progress):
        src = osp.join(img_dir, r['image'])
        if not osp.isfile(src):
            raise FileNotFoundError(f'{csv_path}:{r["line"]}: image not '
                                    f'found: {src}')
        _copy_image(src, osp.join(img_out, r['id'] + '.jpg'))
        vec = np.zeros(len(names), dtype=np.float32)
        vec[[index[t] for t in r['tags']]] = 1.0
        table[r['id']] = vec
        mask_path = osp.join(mask_dir, r['id'] + '.png') if mask_dir \
            else None
        if mask_path and osp.isfile(mask_path):
            mask = load_label_png(mask_path, len(names) + 1)
            with Image.open(src) as img:
                size = img.size[::-1]
            if mask.shape != size:
                raise ValueError(f'{mask_path}: mask of size {mask.shape} '
                                 f'but its image {src} is {size}')
            save_label_png(osp.join(mask_out, r['id'] + '.png'), mask)
            num_masks += 1
            if not np.array_equal(labels_from_mask(mask, len(names)),
                                  vec):
                differ.append(r['id'])
    splits = {}
    for r in rows:
        for s in r['splits']:
            splits.setdefault(s, []).append(r['id'])
    list_dir = osp.join(out_root, 'ImageSets', 'Segmentation')
    os.makedirs(list_dir, exist_ok=True)
    for s, ids in splits.items():
        with atomic_write(osp.join(list_dir, s + '.txt')) as tmp:
            with open(tmp, 'w') as f:
                f.write(''.join(i + '\n' for i in ids))
    save_cls_labels(osp.join(out_root, 'cls_labels.npy'), table)
    write_class_names(osp.join(out_root, CLASSES_FILE), names)
    log(f'{out_root}: {len(rows)} images, {len(names)} classes '
        f'({", ".join(names)}), splits '
        + ', '.join(f'{s} {len(i)}' for s, i in splits.items())
        + f', {num_masks} masks'
        + (f'; the tags of {len(differ)} images name other classes than '
           f'their mask holds (e.g. {differ[0]})' if differ else ''))
    return dict(classes=names, num_images=len(rows),
                splits={s: len(i) for s, i in splits.items()},
                num_masks=num_masks, tags_differ_from_mask=differ)
