"""The selection threshold alpha (the paper's Table 3), the paper's alpha*
and the one sweep module (mmwsss.selector.sweep), on hand-made arrays."""
import numpy as np
import pytest

from mmwsss.evaluation.functional import (confusion_matrix,
                                          scores_from_confusion)
from mmwsss.selector import (SalientObjectSelector, fuse_soft,
                             fuse_threshold, select_and_fuse, soft_alpha)
from mmwsss.selector.sweep import PAPER_TABLE3, SelectorSweep
from mmwsss.selector.sweep_tables import format_markdown, table3_shape

I = 255  # noqa: E741


def _samples():
    """Six 12x12 images of 2 foreground classes.

    i0-i2: single-class, saliency overlapping the CAM region by less and
    less (shift 0, 3, 5); i3: both classes (never touched); i4: an empty
    saliency map; i5: saliency disjoint from the class region (o = 0)."""
    rng = np.random.default_rng(0)
    out = []
    specs = ((1, 0), (1, 3), (2, 5), (0, 0), (1, 'empty'), (2, 'apart'))
    for k, (c, shift) in enumerate(specs):
        gt = np.zeros((12, 12), np.uint8)
        gt[3:9, 3:9] = c or 1
        if c == 0:
            gt[0:2, 0:4] = 2
        cam = np.zeros((12, 12), np.float32)
        cam[4:8, 4:8] = 0.9                     # CAM covers the core only
        cam[3:9, 3:9] = np.maximum(cam[3:9, 3:9], 0.35)
        label = np.where(cam >= 0.5, c or 1, 0).astype(np.uint8)
        label[3, 3:9] = I
        sal = np.zeros((12, 12), np.float32)
        if shift == 'apart':
            sal[9:12, 0:3] = 0.9
        elif shift != 'empty':
            right = min(12, 9 + shift)
            sal[3:9, 3 + shift:right] = rng.uniform(0.6, 1.0,
                                                    (6, right - 3 - shift))
        img_label = np.array([c == 1 or c == 0, c == 2 or c == 0], float)
        keys = np.flatnonzero(img_label)
        cams = (keys, np.stack([cam] * keys.size))
        out.append((f'i{k}', label, sal, img_label, cams, gt))
    return out


# ------------------------------------------------------- the threshold rule
def test_threshold_endpoints_on_hand_made_arrays():
    # 2 x 6 label: class 3 region, a 255 band, background
    label = np.array([[3, 3, I, 0, 0, 0],
                      [3, 3, I, 0, 0, 0]], np.uint8)
    # P_S equals the class region on the decided pixels, plus the 255 band:
    # o = 1 over the valid pixels
    same = np.array([[255, 255, 255, 0, 0, 0]] * 2, np.uint8)
    part = np.array([[255, 0, 0, 255, 0, 0]] * 2, np.uint8)  # o = 1/3
    apart = np.array([[0, 0, 0, 0, 255, 255]] * 2, np.uint8)  # o = 0
    norms = [None, None, 0.5]
    for sal in (same, part, apart):
        # alpha = 1: the labels, byte for byte, whatever o
        out, dec = select_and_fuse(label, sal, [0, 0, 1], norms,
                                   mode='threshold', alpha=1.0)
        assert out.tobytes() == label.tobytes() and dec['changed'] == 0
        assert dec['decision'] == 'kept'
        # alpha = 0: the class region becomes P_S, whatever o
        out, dec = select_and_fuse(label, sal, [0, 0, 1], norms,
                                   mode='threshold', alpha=0.0)
        assert dec['decision'] == 'replaced' and dec['alpha'] == 1.0
        np.testing.assert_array_equal(out == 3, sal >= 128)
        # outside P_S: the old region -> 0, 255 stays 255, 0 stays 0
        np.testing.assert_array_equal(
            out[sal < 128], np.where(label == 3, 0, label)[sal < 128])
    # o = 1 with alpha just below 1 replaces: the 255 band joins the class
    out, dec = select_and_fuse(label, same, [0, 0, 1], norms,
                               mode='threshold', alpha=0.99)
    assert dec['iou'] == 1.0 and dec['decision'] == 'replaced'
    np.testing.assert_array_equal(out[:, 2], [3, 3])
    # in between, the region is replaced when o reaches alpha (o = 1/3)
    for alpha, want in ((1 / 3, 'replaced'), (0.34, 'kept'),
                        (0.2, 'replaced')):
        _, info = fuse_threshold(label, 3, part, alpha)
        assert info['iou'] == pytest.approx(1 / 3)
        assert info['decision'] == want, alpha
    # untouched whatever alpha: empty saliency, multi-class, no class
    for sal, img_label, want in (
            (np.zeros_like(same), [0, 0, 1], 'empty-saliency'),
            (same, [1, 0, 1], 'multi-class'), (same, [0, 0, 0], 'no-class')):
        out, dec = select_and_fuse(label, sal, img_label, norms,
                                   mode='threshold', alpha=0.0)
        assert dec['decision'] == want
        assert out.tobytes() == label.tobytes()


def test_threshold_mode_settings():
    with pytest.raises(ValueError, match='threshold mode needs alpha'):
        select_and_fuse(np.zeros((2, 2), np.uint8), np.zeros((2, 2)),
                        [1], [1.0], mode='threshold')
    with pytest.raises(ValueError, match='`weight`'):
        select_and_fuse(np.zeros((2, 2), np.uint8), np.zeros((2, 2)),
                        [1], [1.0], mode='soft', alpha=0.5)
    with pytest.raises(ValueError, match='only with, mode="threshold"'):
        SalientObjectSelector([1.0], mode='threshold')
    with pytest.raises(ValueError, match='blend weight needs mode="soft"'):
        SalientObjectSelector([1.0], mode='hard', weight=0.5)
    with pytest.raises(ValueError, match=r'\[0, 1\]'):
        fuse_threshold(np.zeros((2, 2), np.uint8), 1, np.ones((2, 2)), 1.5)


# ----------------------------------------------------- alpha* = 'paper'
def test_paper_alpha_star_follows_the_formula():
    # alpha* = (o + n_c)_tau: the sum, 0 below tau, clipped to [0, 1]
    for o, n_c, tau, want in ((0.3, 0.2, 1.0, 0.0),     # 0.5 < tau
                              (0.4, 0.6, 1.0, 1.0),     # 1.0 == tau, clip
                              (0.3, 0.2, 0.4, 0.5),     # 0.5, no clip
                              (0.25, 0.5, 0.7, 0.75),
                              (0.9, 0.8, 1.0, 1.0),     # 1.7 -> 1
                              (0.6, None, 0.5, 0.6)):   # missing n_c = 0
        assert soft_alpha(o, n_c, tau, 'paper') == pytest.approx(want)
    # the default gate of 'paper' is 1.0 (the same place as the mean's 0.5)
    assert soft_alpha(0.45, 0.5, alpha_star='paper') == 0.0
    assert soft_alpha(0.5, 0.5, alpha_star='paper') == 1.0
    assert soft_alpha(0.5, 0.5) == pytest.approx(0.5)      # mean
    with pytest.raises(ValueError, match='alpha_star'):
        soft_alpha(0.5, 0.5, alpha_star='sum')
    # on an image: o = 1/3 (CAM 0.8 on 4 px, saliency on 4 px sharing 2),
    # n_c = 0.25, tau = 0.5: alpha* = 1/3 + 1/4 = 7/12, so the score
    # (5/12) * CAM + (7/12) * S is thresholded at fuse_thr = 0.4
    label = np.array([[1, 1, 1, 1, 0, 0]], np.uint8)
    cam = np.array([[0.8, 0.8, 0.8, 0.8, 0.0, 0.0]], np.float32)
    sal = np.array([[0.0, 0.0, 0.9, 0.9, 0.9, 0.9]], np.float32)
    out, info = fuse_soft(label, 1, sal, 0.25, cam=cam, tau=0.5,
                          alpha_star='paper', fuse_thr=0.4)
    a = 1 / 3 + 0.25
    assert info['iou'] == pytest.approx(1 / 3)
    assert info['alpha'] == pytest.approx(a) and info['decision'] == 'fused'
    score = (1 - a) * cam + a * sal
    np.testing.assert_array_equal(out, np.where(score >= 0.4, 1, 0))
    np.testing.assert_array_equal(out, [[0, 0, 1, 1, 1, 1]])
    # the mean at the same gate is 7/24 < 0.5: kept
    _, info = fuse_soft(label, 1, sal, 0.25, cam=cam, tau=0.5, fuse_thr=0.4)
    assert info['decision'] == 'kept'
    sel = SalientObjectSelector([0.25], mode='soft', alpha_star='paper')
    assert sel.settings['tau'] == 1.0


# ------------------------------------------------------------ the sweeps
def _direct(samples, norms, **kw):
    cm = np.zeros((3, 4), np.int64)
    decisions = []
    for img_id, label, sal, img_label, cams, gt in samples:
        out, dec = select_and_fuse(label, sal, img_label, norms, cams=cams,
                                   img_id=img_id, **kw)
        decisions.append(dec)
        cm += confusion_matrix(gt, out, 3)
    return scores_from_confusion(cm), decisions


@pytest.mark.parametrize('alpha_star', ['mean', 'paper'])
def test_sweep_rows_equal_fusing_at_each_setting(alpha_star):
    norms = [0.9, 0.5]
    samples = _samples()
    alphas = (0.0, 0.1, 0.3, 0.5, 0.7, 1.0)
    weights = (0.0, 0.3, 0.6, 1.0)
    taus = (0.0, 0.3, 0.5, 0.7, 1.0, 1.4)
    sweep = SelectorSweep(norms, 3, alphas=alphas, weights=weights,
                          taus=taus, fuse_thr=0.3, tau=0.45,
                          alpha_star=alpha_star)
    for img_id, label, sal, img_label, cams, gt in samples:
        sweep.update(label, sal, img_label, gt, cams=cams, img_id=img_id)
    res = sweep.result()
    assert res['num_images'] == 6
    base, _ = _direct(samples, norms, mode='threshold', alpha=1.0)
    rows = [r for r in res['table3'] if r['alpha'] is not None]
    assert [r['alpha'] for r in rows] == list(alphas)
    for row in rows:
        want, decs = _direct(samples, norms, mode='threshold',
                             alpha=row['alpha'])
        for m in ('Acc', 'Acc_class', 'mIoU', 'fwIoU'):
            assert row[m] == pytest.approx(want[m]), (row['alpha'], m)
        assert row['changed_images'] == sum(
            d['decision'] == 'replaced' for d in decs)
    # the endpoints: alpha = 1 is the baseline, alpha = 0 replaced every
    # single-class image with saliency (i0, i1, i2 and i5, o = 0)
    assert rows[-1]['mIoU'] == res['baseline']['mIoU'] == base['mIoU']
    assert rows[-1]['changed_images'] == 0
    assert rows[0]['changed_images'] == 4
    assert rows[0]['decisions'] == {'replaced': 4, 'multi-class': 1,
                                    'empty-saliency': 1}
    for row in res['blend']:
        want, _ = _direct(samples, norms, mode='soft', weight=row['weight'],
                          fuse_thr=0.3)
        assert row['mIoU'] == pytest.approx(want['mIoU']), row['weight']
        assert row['Acc'] == pytest.approx(want['Acc'])
    assert res['blend'][0]['changed_images'] == 0
    for row in res['tau']:
        want, decs = _direct(samples, norms, mode='soft', tau=row['tau'],
                             fuse_thr=0.3, alpha_star=alpha_star)
        assert row['mIoU'] == pytest.approx(want['mIoU']), row['tau']
        assert row['fwIoU'] == pytest.approx(want['fwIoU'])
        fused = [d['alpha'] for d in decs if d['decision'] == 'fused']
        assert row['fused_images'] == len(fused)
        if fused:
            assert row['mean_alpha'] == pytest.approx(np.mean(fused))
    star = next(r for r in res['table3'] if r['name'].startswith('alpha*'))
    want, _ = _direct(samples, norms, mode='soft', tau=0.45, fuse_thr=0.3,
                      alpha_star=alpha_star)
    assert star['mIoU'] == pytest.approx(want['mIoU'])
    hard = next(r for r in res['table3'] if 'hard' in r['name'])
    want, _ = _direct(samples, norms, mode='hard')
    assert hard['mIoU'] == pytest.approx(want['mIoU'])
    # the paper's numbers ride along for the chart and the table
    assert rows[0]['paper']['mIoU'] == pytest.approx(0.7757)
    assert rows[2]['paper']['mIoU'] == pytest.approx(0.7944)
    assert len(res['paper_table3']) == len(PAPER_TABLE3) == 12
    text = format_markdown(res)
    assert text.count('## ') == 3   # Table 3, blend, tau (no Table 4)
    assert '| 0.3 | ' in text and '79.44%' in text


def test_sweep_rejects_bad_input():
    sample = list(_samples()[0])
    sweep = SelectorSweep([1.0, 1.0], 3)
    with pytest.raises(ValueError, match='i0.*differ in shape'):
        sweep.image(*sample[1:4], sample[5][:6], img_id='i0')
    with pytest.raises(ValueError, match='2 norms for 3'):
        SelectorSweep([1.0, 1.0], 4)
    with pytest.raises(ValueError, match='threshold'):
        SelectorSweep([1.0, 1.0], 3, alphas=(1.5, ))


def test_table3_shape():
    def result(curve):
        rows = [dict(alpha=a, mIoU=m) for a, m in curve]
        return dict(table3=rows + [dict(alpha=None, mIoU=0.9)],
                    baseline=dict(mIoU=curve[-1][1]))
    paper = [(a, v[2] / 100) for a, v in PAPER_TABLE3.items()]
    shape = table3_shape(result(paper))
    assert shape == dict(peak=dict(alpha=0.4, value=0.7945),
                         rises_from_0=True, peak_inside=True,
                         baseline_at_1=True)
    rising = table3_shape(result([(0.0, 0.5), (0.5, 0.6), (1.0, 0.7)]))
    assert rising['peak_inside'] is False and rising['rises_from_0']
