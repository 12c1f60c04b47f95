"""SBD + VOC 2012 -> SegmentationClassAug and the train_aug list.

    python tools/dataset_converters/sbd_to_voc_aug.py \
        --sbd-root data/benchmark_RELEASE --voc-root data/VOCdevkit/VOC2012 \
        [--nproc 8]

Reads SBD's dataset/cls/<id>.mat (GTcls.Segmentation) and dataset/
{train,val}.txt, and VOC's SegmentationClass/<id>.png and ImageSets/
Segmentation/{train,val}.txt. Writes <voc-root>/SegmentationClassAug/<id>.png
(VOC's official mask where VOC segmented the image, SBD's otherwise; VOC
palette PNGs, 255 = ignore) and ImageSets/Segmentation/train_aug.txt =
(SBD train + SBD val + VOC train) - VOC val (10582 ids on the full data).
Then make the image-level labels with make_cls_labels.py. See
docs/own_dataset.md and :mod:`mmwsss.datasets.converters.sbd`.
"""
import argparse

from mmwsss.datasets.converters import convert_sbd


def main(argv=None):
    p = argparse.ArgumentParser(
        description='SBD + VOC 2012 -> SegmentationClassAug, train_aug.txt')
    p.add_argument('--sbd-root', required=True,
                   help="SBD's benchmark_RELEASE folder (or its dataset/)")
    p.add_argument('--voc-root', required=True, help='the VOC2012 folder')
    p.add_argument('--num-classes', type=int, default=21,
                   help='classes with background (default 21)')
    p.add_argument('--nproc', type=int, default=0,
                   help='worker processes (default: this one)')
    from mmwsss.utils.cli import add_common_args
    add_common_args(p)
    args = p.parse_args(argv)
    return convert_sbd(args.sbd_root, args.voc_root, args.num_classes,
                       args.nproc)


if __name__ == '__main__':
    from mmwsss.utils.cli import run_main
    run_main(main)
