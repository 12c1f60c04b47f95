"""A folder of images + a CSV of tags -> the VOC layout mmwsss reads.

    python tools/dataset_converters/tags_to_voc.py --images DIR \
        --csv tags.csv --out data/mine/VOC2012 [--classes a,b,c] \
        [--masks MASK_DIR] [--default-split train_aug]

The CSV: a header ``image,tags[,split]``, one row per image; tags and
splits separated by ``;`` (``img_001.jpg,lemon;leaf,train_aug;train``).
Writes JPEGImages/<id>.jpg, ImageSets/Segmentation/<split>.txt,
cls_labels.npy, classes.txt (--classes, in label order; default the tags,
sorted) and, with --masks (class-index PNGs named <id>.png, for the images
you evaluate on), SegmentationClassAug/<id>.png. See docs/own_dataset.md
and :mod:`mmwsss.datasets.converters.tag_folder`.
"""
import argparse

from mmwsss.datasets.converters import tag_folder_to_voc


def main(argv=None):
    p = argparse.ArgumentParser(
        description='Images + tag CSV -> VOC layout (images, lists, '
        'cls_labels.npy, classes.txt, masks)')
    p.add_argument('--images', required=True, help='image folder')
    p.add_argument('--csv', required=True, help='tag CSV (image,tags[,split])')
    p.add_argument('--out', required=True, help='output VOC2012-style folder')
    p.add_argument('--classes', default=None,
                   help='foreground classes in label order: comma-separated '
                   'names or a classes.txt (default: the tags, sorted)')
    p.add_argument('--masks', default=None,
                   help='folder of <id>.png class-index masks (optional)')
    p.add_argument('--default-split', default='train_aug',
                   help='split of rows without a split column value')
    from mmwsss.utils.cli import add_common_args
    add_common_args(p)
    args = p.parse_args(argv)
    return tag_folder_to_voc(args.images, args.csv, args.out, args.classes,
                             args.masks, args.default_split)


if __name__ == '__main__':
    from mmwsss.utils.cli import run_main
    run_main(main)
