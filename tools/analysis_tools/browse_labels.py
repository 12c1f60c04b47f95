"""Browse labels: image | pseudo-label | saliency | fused | GT, one PNG per image.

    python tools/analysis_tools/browse_labels.py --data-root D \
        (--ids ID ... | --split S [--worst-k K --rank-by pseudo|fused] [--limit N]) \
        [--pseudo-dir P] [--sal-dir S] [--fused-dir F] [--gt-dir G] \
        [--classes voc|toy|CLASSES.txt|a,b,...] --out OUT

Each <OUT>/<id>.png shows equal tiles, each captioned (a label folder's
per-image mIoU against the GT in its caption), and the palette legend of
the classes in it; <OUT>/index.csv lists the ids with those mIoUs. With
--worst-k the K images of the split with the lowest per-image mIoU of the
--rank-by labels are shown, worst first. See docs/analysis_tools.md.
"""
import argparse
import os.path as osp
import sys

from mmwsss.analysis.label_browser import LabelBrowser, browse, rank_worst
from mmwsss.datasets.voc_layout import read_split, resolve_class_names


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data-root', required=True,
                   help='VOC-style folder (JPEGImages, SegmentationClassAug, '
                   'ImageSets/Segmentation)')
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument('--ids', nargs='+', help='these images')
    which.add_argument('--split', help='a list under ImageSets/Segmentation '
                       'or a list file')
    p.add_argument('--worst-k', type=int,
                   help='the K images of --split with the lowest per-image '
                   'mIoU of the --rank-by labels')
    p.add_argument('--rank-by', choices=['pseudo', 'fused'],
                   default='pseudo', help='labels that --worst-k ranks by')
    p.add_argument('--limit', type=int, default=20,
                   help='without --worst-k: the first N ids of --split '
                   '(default 20)')
    p.add_argument('--pseudo-dir', help='pseudo-labels (<id>.png, e.g. the '
                   'expand stage\'s)')
    p.add_argument('--sal-dir', help='saliency maps (<id>.png, grey)')
    p.add_argument('--fused-dir', help='fused labels (select stage)')
    p.add_argument('--gt-dir', default='SegmentationClassAug',
                   help='ground truth (under --data-root if relative; '
                   '"none" for no GT column)')
    p.add_argument('--img-dir', default='JPEGImages',
                   help='images (under --data-root if relative)')
    p.add_argument('--classes', default=None,
                   help="class names: 'voc', 'toy', a classes.txt or "
                   "comma-separated names (default: from "
                   '--num-classes or cls_labels.npy)')
    p.add_argument('--num-classes', type=int, default=None,
                   help='classes including background')
    p.add_argument('--tile-size', type=int, default=192)
    p.add_argument('--out', required=True, help='output folder')
    from mmwsss.utils.cli import add_common_args
    add_common_args(p)
    args = p.parse_args(argv)
    if args.worst_k is not None and not args.split:
        p.error('--worst-k ranks the images of a --split')
    return args


def main(argv=None):
    args = parse_args(argv)
    root = args.data_root
    gt = None if args.gt_dir == 'none' else osp.join(root, args.gt_dir)
    try:
        names = resolve_class_names(args.classes, args.num_classes, root)
        browser = LabelBrowser(
            osp.join(root, args.img_dir), names,
            dict(pseudo=args.pseudo_dir, saliency=args.sal_dir,
                 fused=args.fused_dir, gt=gt), tile_size=args.tile_size)
        if args.ids:
            ids = args.ids
        else:
            ids = read_split(root, args.split)[1]
            ids = rank_worst(browser, ids, args.worst_k, args.rank_by) \
                if args.worst_k is not None else ids[:args.limit]
        browse(browser, ids, args.out)
    except (OSError, ValueError) as e:
        print(f'browse_labels: {e}', file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    from mmwsss.utils.cli import run_main
    run_main(main)
