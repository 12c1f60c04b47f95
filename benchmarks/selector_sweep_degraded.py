"""The selector's sweeps (Table 3 analogue: the selection threshold alpha)
on real VOC photographs' masks, with stand-in pseudo-labels and saliency
maps made by degrading the official masks.

    python benchmarks/selector_sweep_degraded.py \\
        --data-root ../shared/data/voc_real_dev/VOC2012 --split train \\
        --out work_dirs/sweep_degraded --seeds 0 1 2

This is NOT the method's output: no CAM and no SOD model runs here. Stage
1-4 outputs of the real-photograph pipeline do not exist yet; until they
do, the stand-ins below give the sweep real object shapes, real class
frequencies, real co-occurrences and real single-/multi-class proportions,
with errors of the two kinds the selector arbitrates between. Every
parameter was fixed before the first run and is listed in
:data:`DEGRADATION` (and recorded in the output JSON); none was tuned on
the result.

Expanded labels (the stand-in of stage ``expand``), per image, per class
``c`` of the mask that the image-level label lists (a mask class the
XML-derived label lacks becomes background, so that the label agrees with
the image-level label as the selector requires):

* one error drawn per object class: *under* (eroded by ``k``), *over*
  (dilated by ``k`` into the background only: CAMs bleed into context) or
  *part* (only the part of the object on one side of a random line
  through its centre, keeping 45-85 % of it, then dilated by ``k / 2``:
  CAMs fire on discriminative parts); ``k`` is 4-12 % of the square root
  of the object's area;
* with probability 0.2, a false positive: an ellipse of background pixels
  (radius 6-14 % of the short side) given one of the image's classes
  (CAMs firing on co-occurring context: water for boats, rails for trains).

Saliency maps (the stand-in of stage ``saliency``), class-agnostic:

* every object pixel of the mask gets a salience ``u``: U(0.3, 0.7) for
  the classes that SOD models find weakly salient (bottle, chair, dining
  table, potted plant, sofa, tv monitor), U(0.75, 1.0) for the others;
  each object is also eroded or dilated by up to 4 % of the square root of
  its area and shifted by up to 2 % of the image side;
* with probability 0.3, a salient distractor: an ellipse (radius 6-16 % of
  the short side, salience U(0.6, 1.0)) in the background (an object of no
  listed class, which a SOD model marks too);
* with probability 0.1, a missed image: the whole map times 0.4 (mostly
  below the 0.5 binarisation);
* then a Gaussian blur (sigma 1.5-3.5 px) for soft edges; saved as uint8.

Outputs under ``--out/seed<k>/``: ``pseudo/``, ``saliency/``,
``class_salience.json``, ``sweep.json``, ``sweep.md``; and
``--out/summary.md``: the Table 3 analogue over the seeds (mean and
spread) beside the paper's Table 3, and whether its shape matches.
"""
import argparse
import hashlib
import json
import os
import os.path as osp
import sys

import numpy as np
from scipy import ndimage

#: the stand-ins' parameters (see the module docstring); recorded with
#: every result
DEGRADATION = dict(
    label_errors=dict(under=0.35, over=0.35, part=0.30),
    label_k_frac=(0.04, 0.12),
    part_keep=(0.45, 0.85),
    false_positive_prob=0.2,
    false_positive_radius=(0.06, 0.14),
    weak_classes=('bottle', 'chair', 'diningtable', 'pottedplant', 'sofa',
                  'tvmonitor'),
    weak_salience=(0.3, 0.7),
    strong_salience=(0.75, 1.0),
    sal_morph_frac=0.04,
    sal_shift_frac=0.02,
    distractor_prob=0.3,
    distractor_radius=(0.06, 0.16),
    distractor_salience=(0.6, 1.0),
    miss_prob=0.1,
    miss_factor=0.4,
    blur_sigma=(1.5, 3.5),
)


def _rng(seed, img_id):
    """One generator per (seed, image): results do not depend on order."""
    digest = hashlib.sha256(f'{seed}:{img_id}'.encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], 'little'))


def _disk(k):
    k = max(1, int(round(k)))
    y, x = np.ogrid[-k:k + 1, -k:k + 1]
    return x * x + y * y <= k * k


def _ellipse_mask(shape, rng, radius_frac, where=None):
    """A random ellipse (centre drawn among ``where`` pixels when given)."""
    h, w = shape
    r = rng.uniform(*radius_frac) * min(h, w)
    if where is not None and where.any():
        ys, xs = np.nonzero(where)
        i = rng.integers(ys.size)
        cy, cx = ys[i], xs[i]
    else:
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
    ry, rx = r * rng.uniform(0.6, 1.0), r * rng.uniform(0.6, 1.0)
    y, x = np.ogrid[:h, :w]
    return ((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2 <= 1.0


def degrade_label(gt, classes, rng, p=DEGRADATION):
    """A stand-in expanded label from a VOC mask.

    Args:
        gt: H x W mask (0 background, 1..20, 255 boundary).
        classes: label values the image-level label lists.

    Returns:
        uint8 H x W label with values in {0} and ``classes``.
    """
    label = np.zeros(gt.shape, np.uint8)
    background = (gt == 0) | (gt == 255)
    present = [c for c in classes if np.any(gt == c)]
    kinds = list(p['label_errors'])
    probs = np.array([p['label_errors'][k] for k in kinds], float)
    # larger objects first, so smaller ones stay on top
    for c in sorted(present, key=lambda c: -np.count_nonzero(gt == c)):
        region = gt == c
        k = rng.uniform(*p['label_k_frac']) * np.sqrt(region.sum())
        kind = kinds[rng.choice(len(kinds), p=probs / probs.sum())]
        if kind == 'under':
            new = ndimage.binary_erosion(region, _disk(k))
        elif kind == 'over':
            new = ndimage.binary_dilation(region, _disk(k)) & (
                region | background)
        else:
            ys, xs = np.nonzero(region)
            theta = rng.uniform(0, 2 * np.pi)
            proj = (ys - ys.mean()) * np.sin(theta) + \
                (xs - xs.mean()) * np.cos(theta)
            cut = np.quantile(proj, rng.uniform(*p['part_keep']))
            new = np.zeros_like(region)
            new[ys[proj <= cut], xs[proj <= cut]] = True
            new = ndimage.binary_dilation(new, _disk(k / 2)) & (
                region | background)
        label[new] = c
    if present and rng.random() < p['false_positive_prob']:
        blob = _ellipse_mask(gt.shape, rng, p['false_positive_radius'],
                             where=background) & background & (label == 0)
        label[blob] = present[rng.integers(len(present))]
    return label


def degrade_saliency(gt, class_names, rng, p=DEGRADATION):
    """A stand-in saliency map (uint8 0..255) from a VOC mask; class-agnostic
    (``class_names``: names of label values 1..20, for the weak classes)."""
    h, w = gt.shape
    sal = np.zeros(gt.shape, np.float32)
    background = (gt == 0) | (gt == 255)
    for c in np.unique(gt):
        if c == 0 or c == 255:
            continue
        region = gt == c
        weak = class_names[c - 1] in p['weak_classes']
        u = rng.uniform(*(p['weak_salience'] if weak else
                          p['strong_salience']))
        k = rng.uniform(-1, 1) * p['sal_morph_frac'] * np.sqrt(region.sum())
        if k >= 0.5:
            region = ndimage.binary_dilation(region, _disk(k))
        elif k <= -0.5:
            region = ndimage.binary_erosion(region, _disk(-k))
        dy, dx = (rng.uniform(-1, 1, 2) * p['sal_shift_frac'] *
                  np.array([h, w])).round().astype(int)
        region = np.roll(region, (dy, dx), axis=(0, 1))
        sal[region] = np.maximum(sal[region], u)
    if rng.random() < p['distractor_prob']:
        blob = _ellipse_mask(gt.shape, rng, p['distractor_radius'],
                             where=background) & background
        sal[blob] = np.maximum(sal[blob],
                               rng.uniform(*p['distractor_salience']))
    if rng.random() < p['miss_prob']:
        sal *= p['miss_factor']
    sal = ndimage.gaussian_filter(sal, rng.uniform(*p['blur_sigma']))
    return np.clip(np.round(sal * 255), 0, 255).astype(np.uint8)


def make_standins(data_root, split, out, seed, log=print):
    """Write ``out/pseudo/<id>.png`` and ``out/saliency/<id>.png`` for every
    id of the split; returns the ids."""
    from mmwsss.datasets.voc_layout import (VOC_CLASSES, ImageLabels,
                                            read_split)
    from mmwsss.utils.io import (load_label_png, save_grey_png,
                                 save_label_png)
    _, ids = read_split(data_root, split)
    labels = ImageLabels(data_root)
    names = list(VOC_CLASSES[1:])
    for sub in ('pseudo', 'saliency'):
        os.makedirs(osp.join(out, sub), exist_ok=True)
    for n, img_id in enumerate(ids):
        gt = load_label_png(osp.join(data_root, 'SegmentationClassAug',
                                     f'{img_id}.png'))
        classes = [int(c) + 1 for c in np.flatnonzero(labels(img_id) > 0.5)]
        rng = _rng(seed, img_id)
        save_label_png(osp.join(out, 'pseudo', f'{img_id}.png'),
                       degrade_label(gt, classes, rng))
        save_grey_png(osp.join(out, 'saliency', f'{img_id}.png'),
                      degrade_saliency(gt, names, rng))
        if (n + 1) % 100 == 0:
            log(f'seed {seed}: {n + 1}/{len(ids)} stand-ins')
    return ids


def run_seed(data_root, split, out, seed, nproc=0, log=print):
    """Stand-ins, class salience and every sweep for one seed; returns the
    sweep result (also written to ``out/sweep.json`` and ``sweep.md``)."""
    from mmwsss.stages.select import (SelectSettings, run_class_salience,
                                      run_sweep)
    from mmwsss.selector.sweep_tables import format_markdown
    from mmwsss.utils.io import atomic_write
    make_standins(data_root, split, out, seed, log=log)
    settings = SelectSettings(
        data_root=data_root, split=split, pseudo_dir=osp.join(out, 'pseudo'),
        sal_dir=osp.join(out, 'saliency'),
        norms=osp.join(out, 'class_salience.json'), nproc=nproc)
    run_class_salience(settings)
    result = run_sweep(settings)
    result['degradation'] = dict(DEGRADATION, seed=seed)
    for name, text in (('sweep.json', json.dumps(result, indent=2)),
                       ('sweep.md', format_markdown(result))):
        with atomic_write(osp.join(out, name)) as tmp:
            with open(tmp, 'w') as f:
                f.write(text)
    return result


METRICS = ('Acc', 'Acc_class', 'mIoU', 'fwIoU')


def summarize(results, command=''):
    """Markdown: the threshold sweep over seeds (mean ± std, percent)
    beside the paper's Table 3, and the shape check of every seed."""
    from mmwsss.selector.sweep_tables import table3_shape
    first = results[0]
    rows = [r for r in first['table3'] if r['alpha'] is not None]
    lines = [f'Threshold sweep on stand-ins from real VOC masks '
             f"({first['num_images']} images, seeds "
             f"{', '.join(str(r['degradation']['seed']) for r in results)};"
             f' mean ± std over seeds, percent). Command: `{command}`', '',
             '| alpha | Acc | Acc_class | mIoU | fwIoU | replaced images | '
             'paper mIoU |', '| --- | --- | --- | --- | --- | --- | --- |']
    for k, row in enumerate(rows):
        cells = []
        for m in METRICS:
            v = 100 * np.array([r['table3'][k][m] for r in results])
            cells.append(f'{v.mean():.2f} ± {v.std():.2f}')
        rep = [r['table3'][k]['changed_images'] for r in results]
        paper = row.get('paper')
        paper = '-' if not paper else f"{100 * paper['mIoU']:.2f}"
        lines.append(f"| {row['alpha']:g} | " + ' | '.join(cells) +
                     f' | {np.mean(rep):.0f} | {paper} |')
    for name in ('alpha*', 'hard'):
        k = next(i for i, r in enumerate(first['table3'])
                 if (r['name'].startswith(name) if name == 'alpha*'
                     else 'hard' in r['name']))
        cells = []
        for m in METRICS:
            v = 100 * np.array([r['table3'][k][m] for r in results])
            cells.append(f'{v.mean():.2f} ± {v.std():.2f}')
        lines.append(f"| {first['table3'][k]['name']} | " +
                     ' | '.join(cells) + ' | - | - |')
    lines += ['', '| seed | peak alpha | rises from 0 | peak inside (0, 1) '
              '| baseline at 1 |', '| --- | --- | --- | --- | --- |']
    for r in results:
        s = table3_shape(r)
        lines.append(f"| {r['degradation']['seed']} | "
                     f"{s['peak']['alpha']:g} ({100 * s['peak']['value']:.2f})"
                     f" | {s.get('rises_from_0')} | {s.get('peak_inside')} | "
                     f"{s.get('baseline_at_1')} |")
    return '\n'.join(lines) + '\n'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data-root', required=True)
    parser.add_argument('--split', default='train')
    parser.add_argument('--out', required=True)
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--nproc', type=int, default=0)
    args = parser.parse_args(argv)
    results = []
    for seed in args.seeds:
        results.append(run_seed(args.data_root, args.split,
                                osp.join(args.out, f'seed{seed}'), seed,
                                nproc=args.nproc))
    text = summarize(results, 'python ' + ' '.join(
        [osp.relpath(__file__)] + list(argv if argv is not None
                                         else sys.argv[1:])))
    from mmwsss.utils.io import atomic_write
    with atomic_write(osp.join(args.out, 'summary.md')) as tmp:
        with open(tmp, 'w') as f:
            f.write(text)
    print(text)
    return results


if __name__ == '__main__':
    main()
