"""benchmarks/selector_sweep_degraded.py: the stand-in expanded labels and
saliency maps made from real VOC masks (lightly: their values, classes,
determinism and direction of error)."""
import importlib.util
import os.path as osp

import numpy as np

from conftest import REPO, SHARED_DATA
from mmwsss.datasets.voc_layout import VOC_CLASSES
from mmwsss.utils.io import load_label_png

_spec = importlib.util.spec_from_file_location(
    'selector_sweep_degraded',
    osp.join(REPO, 'benchmarks', 'selector_sweep_degraded.py'))
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)
NAMES = list(VOC_CLASSES[1:])


def _mask():
    gt = np.zeros((120, 160), np.uint8)
    gt[20:90, 30:100] = 15           # person
    gt[60:110, 110:150] = 9          # chair (weakly salient)
    gt[19, 30:100] = 255             # a boundary band
    return gt


def test_label_standin_values_and_determinism():
    gt = _mask()
    a = bench.degrade_label(gt, [15, 9], bench._rng(0, 'x'))
    b = bench.degrade_label(gt, [15, 9], bench._rng(0, 'x'))
    c = bench.degrade_label(gt, [15, 9], bench._rng(1, 'x'))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert set(np.unique(a)) <= {0, 15, 9} and 255 not in a
    # a class the image-level label lacks is not in the label
    only = bench.degrade_label(gt, [15], bench._rng(0, 'x'))
    assert 9 not in only and (only == 15).any()
    # errors, not noise: the class region still overlaps the object
    for seed in range(5):
        lab = bench.degrade_label(gt, [15], bench._rng(seed, 'y'))
        inter = np.count_nonzero((lab == 15) & (gt == 15))
        union = np.count_nonzero((lab == 15) | (gt == 15))
        assert 0.3 < inter / union < 1.0


def test_saliency_standin_is_class_agnostic_and_weak_for_chairs():
    gt = _mask()
    means = {15: [], 9: []}
    for seed in range(8):
        sal = bench.degrade_saliency(gt, NAMES, bench._rng(seed, 'z'))
        assert sal.dtype == np.uint8 and sal.shape == gt.shape
        core = np.zeros_like(gt, bool)
        for c, (ys, xs) in ((15, (slice(40, 70), slice(50, 80))),
                            (9, (slice(75, 95), slice(120, 140)))):
            core[:] = False
            core[ys, xs] = True
            means[c].append(sal[core].mean())
    # strong classes are salient (0.75..1), chairs weakly (0.3..0.7), up to
    # the missed images (x 0.4)
    assert np.median(means[15]) > 0.7 * 255
    assert np.median(means[9]) < 0.72 * 255


def test_standins_on_a_real_mask():
    root = osp.join(SHARED_DATA, 'voc_real_mini', 'VOC2012')
    gt = load_label_png(osp.join(root, 'SegmentationClassAug',
                                 '2011_000003.png'))
    classes = [c for c in np.unique(gt) if 0 < c < 255]
    lab = bench.degrade_label(gt, classes, bench._rng(0, '2011_000003'))
    sal = bench.degrade_saliency(gt, NAMES, bench._rng(0, '2011_000003'))
    assert lab.shape == sal.shape == gt.shape
    assert set(np.unique(lab)) <= {0, *classes}
    fg = (gt > 0) & (gt < 255)
    assert sal[fg].mean() > sal[~fg & (gt != 255)].mean()
