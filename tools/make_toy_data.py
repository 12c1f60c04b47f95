"""Make the procedural toy dataset (VOC 2012 layout + DUTS layout).

Example::

    python tools/make_toy_data.py --out data/toy --seed 0 \
        --num-images 300 --size 160

Same arguments => byte-identical files. See tools/toy_data/.
"""
import argparse
import time


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--out', required=True, help='output folder')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--num-images', type=int, default=300,
                   help='number of VOC-layout images (default 300)')
    p.add_argument('--size', type=int, default=160,
                   help='image side in pixels (default 160)')
    p.add_argument('--num-duts', type=int, default=None,
                   help='number of DUTS-layout images, split 80/20 into '
                   'DUTS-TR/DUTS-TE (default: --num-images)')
    p.add_argument('--no-progress', action='store_true')
    from mmwsss.utils.cli import add_common_args
    add_common_args(p)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from toy_data import generate_toy_dataset  # tools/toy_data/
    start = time.time()
    meta = generate_toy_dataset(
        args.out, seed=args.seed, num_images=args.num_images,
        size=args.size, num_duts=args.num_duts,
        progress=not args.no_progress)
    voc, duts = meta['voc'], meta['duts']
    print(f'toy dataset in {args.out} ({time.time() - start:.1f}s): '
          f'VOC {voc["num_images"]} images {voc["splits"]}, '
          f'{voc["single_class_images"]} single-class, '
          f'{voc["multi_class_images"]} multi-class; '
          f'DUTS {duts["train"]} train / {duts["test"]} test')
    return meta


if __name__ == '__main__':
    from mmwsss.utils.cli import run_main
    run_main(main)
