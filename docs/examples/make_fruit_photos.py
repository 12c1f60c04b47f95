"""Invented photos for docs/own_dataset.md: lemons, grapes and leaves.

    python docs/examples/make_fruit_photos.py --out my_photos \
        [--num-images 48] [--size 128] [--seed 0]

Writes what a user of mmwsss typically has before converting:

    my_photos/images/fruit_<n>.jpg   (every 4th image a .png)
    my_photos/masks/fruit_<n>.png    class-index masks (0 background,
                                     1 lemon, 2 grape, 3 leaf), grey PNGs
    my_photos/tags.csv               image,tags,split

Splits: the first two thirds are ``train_aug`` (the images that get
pseudo-labels), the first half of those also ``train`` (where pseudo-label
quality is measured against the masks); the last third is ``val``. A
stand-in for your own photos, not a benchmark: numpy and Pillow only.
"""
import argparse
import csv
import os
import os.path as osp

import numpy as np
from PIL import Image, ImageDraw

CLASSES = ('lemon', 'grape', 'leaf')


def _ellipse(cx, cy, rx, ry, angle, n=32):
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    x, y = rx * np.cos(t), ry * np.sin(t)
    c, s = np.cos(angle), np.sin(angle)
    return [(cx + c * a - s * b, cy + s * a + c * b) for a, b in zip(x, y)]


def _draw(kind, draw, mask, rng, size):
    """Draw one object of class ``kind`` (1..3) on the image and mask."""
    r = size * rng.uniform(0.10, 0.18)
    cx, cy = rng.uniform(r, size - r, 2)
    shade = rng.uniform(0.8, 1.1)
    if kind == 1:    # lemon: a yellow ellipse with a pointed tip
        poly = _ellipse(cx, cy, r, r * 0.75, rng.uniform(0, np.pi))
        colour = (250, 215, 40)
        parts = [poly]
    elif kind == 2:  # grape: a bunch of small purple berries
        parts = []
        for _ in range(rng.integers(6, 11)):
            bx, by = rng.normal(0, r * 0.45, 2)
            br = r * rng.uniform(0.25, 0.35)
            parts.append(_ellipse(cx + bx, cy + by, br, br, 0))
        colour = (105, 40, 125)
    else:            # leaf: a long green ellipse
        poly = _ellipse(cx, cy, r * 1.3, r * 0.45, rng.uniform(0, np.pi))
        colour = (60, 145, 50)
        parts = [poly]
    colour = tuple(int(min(255, c * shade)) for c in colour)
    for poly in parts:
        draw.polygon(poly, fill=colour)
        mask.polygon(poly, fill=kind)


def make_photos(out, num_images=48, size=128, seed=0):
    rng = np.random.default_rng(seed)
    os.makedirs(osp.join(out, 'images'), exist_ok=True)
    os.makedirs(osp.join(out, 'masks'), exist_ok=True)
    rows = []
    n_train_aug = num_images * 2 // 3
    for i in range(num_images):
        name = f'fruit_{i:03d}'
        # a wooden table: brown with grain and noise
        base = np.array([150, 110, 75]) * rng.uniform(0.8, 1.1)
        grain = 12 * np.sin(np.arange(size) / rng.uniform(3, 8))[:, None]
        img = base + grain[..., None] + rng.normal(0, 8, (size, size, 3))
        image = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
        mask = Image.new('L', (size, size), 0)
        draw, mdraw = ImageDraw.Draw(image), ImageDraw.Draw(mask)
        kinds = rng.choice([1, 2, 3], size=1 if rng.random() < 0.6 else 2,
                           replace=False)
        for kind in kinds:
            for _ in range(rng.integers(1, 3)):
                _draw(int(kind), draw, mdraw, rng, size)
        present = sorted(set(np.unique(np.array(mask))) - {0})
        ext = '.png' if i % 4 == 3 else '.jpg'
        image.save(osp.join(out, 'images', name + ext), quality=92)
        mask.save(osp.join(out, 'masks', name + '.png'))
        if i < n_train_aug:
            split = 'train_aug;train' if i < n_train_aug // 2 else 'train_aug'
        else:
            split = 'val'
        rows.append((name + ext, ';'.join(CLASSES[k - 1] for k in present),
                     split))
    with open(osp.join(out, 'tags.csv'), 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['image', 'tags', 'split'])
        writer.writerows(rows)
    print(f'{out}: {num_images} images of {", ".join(CLASSES)} '
          f'({size} px), masks and tags.csv')


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--out', required=True)
    p.add_argument('--num-images', type=int, default=48)
    p.add_argument('--size', type=int, default=128)
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args(argv)
    make_photos(args.out, args.num_images, args.size, args.seed)


if __name__ == '__main__':
    main()
