"""Convert image-level labels to a pickle-free form (or between forms).

    python tools/convert_cls_labels.py data/VOC2012/cls_labels.npy \
        data/VOC2012/cls_labels.npz

IRN's ``cls_labels.npy`` is a pickled dict id -> float[K]. mmwsss reads it
with an unpickler that builds numpy arrays and nothing else, so a file that
holds anything more is refused, never run; the ``.npz`` (``ids`` +
``labels``) and ``.json`` forms need no unpickling at all. The output form
follows the suffix of OUT (``.npz``, ``.json`` or ``.npy``); the labels are
read and checked as every stage reads them
(:func:`mmwsss.datasets.voc_layout.load_cls_labels`).
"""
import argparse
import sys


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description='Convert image-level labels (cls_labels.npy) to the '
        'pickle-free .npz or .json form')
    p.add_argument('src', help='label file (.npy, .npz or .json)')
    p.add_argument('out', help='output file (.npz, .json or .npy)')
    from mmwsss.utils.cli import add_common_args
    add_common_args(p)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from mmwsss.datasets.voc_layout import load_cls_labels, save_cls_labels
    table = load_cls_labels(args.src)
    save_cls_labels(args.out, table)
    sizes = sorted({v.size for v in table.values()})
    print(f'{len(table)} image-level labels ({sizes} classes) from '
          f'{args.src} written to {args.out}', file=sys.stderr)


if __name__ == '__main__':
    from mmwsss.utils.cli import run_main
    run_main(main)
