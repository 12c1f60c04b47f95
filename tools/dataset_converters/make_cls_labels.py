"""Image-level labels (cls_labels.npy) of a VOC-layout split, from its
segmentation masks or from VOC-style XML annotations.

    python tools/dataset_converters/make_cls_labels.py --data-root D \
        --split train_aug --from masks|xml [--out D/cls_labels.npy] \
        [--classes voc|toy|classes.txt|a,b,c] \
        [--mask-dir SegmentationClassAug] [--ann-dir Annotations] \
        [--skip-difficult] [--ignore-unknown] \
        [--compare OTHER.npy]

Writes a dict id -> float32[K] (K foreground classes, no background) with
np.save, the format every stage reads. Class names (and so K): --classes,
else <data-root>/classes.txt, else VOC's 20. ``--from xml`` reads
<ann-dir>/<id>.xml (every object's name, ``difficult`` ones included, as
IRN/SEAM do); ``--from masks`` the classes present in <mask-dir>/<id>.png.
On VOC 2012 the two differ for about 7 % of the images; ``--compare``
prints how many ids of a split get different labels in another file. See
docs/own_dataset.md and :mod:`mmwsss.datasets.converters.image_labels`.
"""
import argparse
import os.path as osp

import numpy as np

from mmwsss.datasets.converters import labels_from_masks, labels_from_xml
from mmwsss.datasets.voc_layout import (CLASSES_FILE, load_cls_labels,
                                        parse_classes, read_split, root_path,
                                        save_cls_labels)


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description='Image-level labels (cls_labels.npy) from masks or XML')
    p.add_argument('--data-root', required=True, help='VOC2012-style folder')
    p.add_argument('--split', default='train_aug',
                   help='list name under ImageSets/Segmentation or a list '
                   'file (default train_aug)')
    p.add_argument('--from', dest='source', required=True,
                   choices=['masks', 'xml'], help='label source')
    p.add_argument('--out', default=None,
                   help='output file (default <data-root>/cls_labels.npy)')
    p.add_argument('--classes', default=None,
                   help="class names: 'voc', 'toy', a classes.txt or "
                   'comma-separated names (default <data-root>/classes.txt, '
                   "else VOC's)")
    p.add_argument('--mask-dir', default='SegmentationClassAug',
                   help='--from masks: mask folder (under --data-root if '
                   'relative)')
    p.add_argument('--ann-dir', default='Annotations',
                   help='--from xml: XML folder (under --data-root if '
                   'relative)')
    p.add_argument('--skip-difficult', action='store_true',
                   help='--from xml: leave out objects marked difficult')
    p.add_argument('--ignore-unknown', action='store_true',
                   help='--from xml: skip object names that are not classes')
    p.add_argument('--compare', default=None,
                   help='another cls_labels file: count the ids of the '
                   'split whose labels differ')
    from mmwsss.utils.cli import add_common_args
    add_common_args(p)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    root = args.data_root
    split_file, ids = read_split(root, args.split)
    spec = args.classes
    if spec is None:
        own = osp.join(root, CLASSES_FILE)
        spec = own if osp.isfile(own) else 'voc'
    names = parse_classes(spec, root)[1:]
    if args.source == 'masks':
        table = labels_from_masks(ids, root_path(root, args.mask_dir),
                                  len(names))
    else:
        table = labels_from_xml(ids, root_path(root, args.ann_dir), names,
                                args.skip_difficult, args.ignore_unknown)
    out = args.out or osp.join(root, 'cls_labels.npy')
    save_cls_labels(out, table)
    counts = np.sum(list(table.values()), axis=0).astype(int)
    print(f'{out}: {len(table)} images of {split_file} from {args.source}; '
          'images per class: ' + ', '.join(
              f'{n} {c}' for n, c in zip(names, counts)))
    if args.compare:
        other = load_cls_labels(args.compare)
        missing = [i for i in ids if i not in other]
        differ = [i for i in ids if i in other
                  and not np.array_equal(other[i] > 0.5, table[i] > 0.5)]
        print(f'compared with {args.compare}: {len(differ)} of '
              f'{len(ids) - len(missing)} images have different labels'
              + (f' (e.g. {differ[0]})' if differ else '')
              + (f'; {len(missing)} ids are not in it' if missing else ''))
    return table


if __name__ == '__main__':
    from mmwsss.utils.cli import run_main
    run_main(main)
