"""Stage select, step 1: the class salience ``n_c`` of every class (JSON).

    python tools/class_salience.py --data-root D --split train_aug \\
        --pseudo-dir work/pseudo_cam --sal-dir work/saliency \\
        --out work/class_salience.json [--cls-labels F | --labels-from-gt]

For every single-class image of class c (image-level label), the root mean
square of the saliency (in [0, 1]) inside the class-c region of its
pseudo-label; ``n_c`` is the mean over the images of class c divided by the
largest such mean over all classes (paper: ``||S^c||_2 / max ||S||_2``).
Classes without a single-class image get ``null`` (the selector treats them
as not salient). Prints a table: class, n_c, salient (``n_c >=
--salience-thr``), image count. See :mod:`mmwsss.stages.select`.
"""
import argparse
import sys

from mmwsss.selector import DEFAULT_SALIENCE_THR
from mmwsss.selector.class_salience import format_table
from mmwsss.stages.select import run_class_salience
from mmwsss.stages.select_cli import add_cli_args, settings_from_args


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Class salience norms n_c for the selector (stage select)')
    add_cli_args(parser, selector=False)
    parser.add_argument('--out', required=True, help='norms JSON to write')
    parser.add_argument('--salience-thr', type=float,
                        default=DEFAULT_SALIENCE_THR,
                        help='only for the printed table')
    from mmwsss.utils.renamed_keys import add_renamed_flags
    add_renamed_flags(parser, {'--salient-thr': '--salience-thr'})
    from mmwsss.utils.cli import add_common_args
    add_common_args(parser)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        settings = settings_from_args(args, norms=args.out,
                                      salience_thr=args.salience_thr)
    except ValueError as e:
        raise SystemExit(str(e)) from None
    data, num_single = run_class_salience(settings)
    print(format_table(data, args.salience_thr))
    print(f'{num_single} single-class images of {data["num_images"]}; '
          f'norms written to {args.out}')
    if not num_single:
        print('warning: no single-class image with a non-empty class region:'
              ' every class is left without a norm (not salient)',
              file=sys.stderr)
    return data


if __name__ == '__main__':
    from mmwsss.utils.cli import run_main
    run_main(main)
