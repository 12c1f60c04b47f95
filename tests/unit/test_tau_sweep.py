"""The tau sweep of the soft rule against fusing at each tau directly."""
import numpy as np
import pytest

from mmwsss.evaluation.functional import (confusion_matrix,
                                          scores_from_confusion)
from mmwsss.selector import select_and_fuse, soft_alpha
from mmwsss.selector.tau_sweep import format_tau_table, sweep_tau


def _samples():
    """Four 12x12 images of 2 foreground classes: three single-class ones
    whose saliency overlaps the CAM by different amounts, one with both
    classes (never touched)."""
    rng = np.random.default_rng(0)
    out = []
    for k, (c, shift) in enumerate(((1, 0), (1, 3), (2, 5), (0, 0))):
        gt = np.zeros((12, 12), np.uint8)
        gt[3:9, 3:9] = c or 1
        if c == 0:
            gt[0:2, 0:4] = 2
        cam = np.zeros((12, 12), np.float32)
        cam[4:8, 4:8] = 0.9                     # CAM covers the core only
        cam[3:9, 3:9] = np.maximum(cam[3:9, 3:9], 0.35)
        label = np.where(cam >= 0.5, c or 1, 0).astype(np.uint8)
        label[3, 3:9] = 255
        sal = np.zeros((12, 12), np.float32)
        right = min(12, 9 + shift)
        sal[3:9, 3 + shift:right] = rng.uniform(0.6, 1.0,
                                                (6, right - 3 - shift))
        img_label = np.array([c == 1 or c == 0, c == 2 or c == 0], float)
        keys = np.flatnonzero(img_label)
        cams = (keys, np.stack([cam] * keys.size))
        out.append((f'i{k}', label, sal, img_label, cams, gt))
    return out


def test_sweep_equals_fusing_at_each_tau():
    norms = [0.9, 0.5]
    taus = (0.0, 0.3, 0.5, 0.6, 0.7, 1.0)
    res = sweep_tau(_samples(), norms, 3, taus=taus, bg_thr=0.3)
    assert res['num_images'] == 4 and res['single_class_images'] == 3
    for row, tau in zip(res['rows'], taus):
        cm = np.zeros((3, 4), np.int64)
        alphas = []
        for img_id, label, sal, img_label, cams, gt in _samples():
            out, dec = select_and_fuse(label, sal, img_label, norms,
                                       mode='soft', cams=cams, tau=tau,
                                       bg_thr=0.3, img_id=img_id)
            if dec['decision'] == 'fused':
                alphas.append(dec['alpha'])
                assert dec['alpha'] == soft_alpha(dec['iou'], dec['n_c'],
                                                  tau)
            cm += confusion_matrix(gt, out, 3)
        want = scores_from_confusion(cm)
        assert row['tau'] == tau
        for m in ('Acc', 'Acc_class', 'mIoU', 'fwIoU'):
            assert row[m] == pytest.approx(want[m]), (tau, m)
        assert row['fused_images'] == len(alphas)
        assert row['fractional_images'] == sum(0 < a < 1 for a in alphas)
        if alphas:
            assert row['mean_alpha'] == pytest.approx(np.mean(alphas))
        else:
            assert row['mean_alpha'] is None
    # the gate closes as tau rises; tau = 1 leaves every label (no image
    # here reaches o = n_c = 1)
    fused = [r['fused_images'] for r in res['rows']]
    assert fused == sorted(fused, reverse=True) and fused[0] > fused[-1]
    assert fused[-1] == 0
    for m in ('Acc', 'mIoU'):
        assert res['rows'][-1][m] == pytest.approx(res['baseline'][m])
    table = format_tau_table(res)
    assert table.count('\n') == len(taus) + 2 and '| no selector |' in table


def test_sweep_rejects_mismatched_ground_truth():
    sample = list(_samples()[0])
    sample[5] = sample[5][:6]
    with pytest.raises(ValueError, match='i0.*differ in shape'):
        sweep_tau([tuple(sample)], [1.0, 1.0], 3)
