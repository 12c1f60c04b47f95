"""The pure selector core on hand-made arrays: every branch of both modes."""
import math
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO
from mmwsss.selector import (SalientObjectSelector, binarize_saliency,
                             class_iou, class_rms_saliency,
                             class_salience_norms, compose_label,
                             decision_row, format_row, fuse_hard, fuse_soft,
                             header_line, image_salience_sample, load_norms,
                             read_rows, save_norms, select_and_fuse,
                             single_foreground_class, soft_alpha)
from mmwsss.selector.selector_core import region_overlap

I = 255  # noqa: E741  ignore


def onehot(k, *classes):
    v = np.zeros(k, np.float32)
    for c in classes:
        v[c - 1] = 1
    return v


def box(shape, y0, y1, x0, x1):
    m = np.zeros(shape, bool)
    m[y0:y1, x0:x1] = True
    return m


# ---------------------------------------------------------------- pieces
def test_single_foreground_class():
    assert single_foreground_class([0, 1, 0]) == 2
    assert single_foreground_class([1, 0, 0, 0]) == 1
    assert single_foreground_class([0, 1, 1]) is None
    assert single_foreground_class([0, 0, 0]) is None


def test_binarize_saliency_uint8_and_float():
    sal = np.array([[0, 127, 128, 255]], np.uint8)
    # 127/255 < 0.5 <= 128/255
    np.testing.assert_array_equal(binarize_saliency(sal, 0.5),
                                  [[False, False, True, True]])
    np.testing.assert_array_equal(
        binarize_saliency(np.array([[0.2, 0.5, 0.9]]), 0.5),
        [[False, True, True]])
    with pytest.raises(ValueError, match='sal_mask_thr'):
        binarize_saliency(sal, 0.0)
    with pytest.raises(ValueError, match=r'\[0, 1\]'):
        binarize_saliency(np.array([[1.5]]), 0.5)


def test_class_iou_hand_computed():
    a = box((4, 4), 0, 2, 0, 2)          # 4 px
    b = box((4, 4), 0, 2, 1, 3)          # 4 px, 2 shared
    assert class_iou(a, b) == pytest.approx(2 / 6)
    assert class_iou(a, a) == 1.0
    assert class_iou(np.zeros((3, 3)), np.zeros((3, 3))) == 0.0
    # pixels outside `valid` count for neither intersection nor union
    valid = np.ones((4, 4), bool)
    valid[0:2, 2] = False                 # drop b's 2 extra px
    assert class_iou(a, b, valid) == pytest.approx(2 / 4)
    with pytest.raises(ValueError, match='shape'):
        class_iou(a, np.zeros((3, 3)))


def test_rms_and_salience_norms_hand_computed():
    region = box((2, 4), 0, 1, 0, 4)
    sal = np.array([[255, 255, 0, 0], [255, 255, 255, 255]], np.uint8)
    assert class_rms_saliency(region, sal) == pytest.approx(math.sqrt(0.5))
    assert math.isnan(class_rms_saliency(np.zeros((2, 4)), sal))
    label = np.where(region, 2, 0)
    c, rms = image_salience_sample(label, sal, onehot(3, 2))
    assert c == 2 and rms == pytest.approx(math.sqrt(0.5))
    # multi-class image and empty region: no sample
    assert image_salience_sample(label, sal, onehot(3, 1, 2)) is None
    assert image_salience_sample(label, sal, onehot(3, 3)) is None

    # class 1: rms 0.8, 0.6 -> 0.7; class 3: 0.35; class 2 unseen
    stats = class_salience_norms([1, 1, 3], [0.8, 0.6, 0.35], 3)
    assert stats['image_count'] == [2, 0, 1]
    assert stats['mean_rms'][0] == pytest.approx(0.7)
    assert stats['mean_rms'][1] is None
    assert stats['norms'][0] == pytest.approx(1.0)
    assert stats['norms'][1] is None
    assert stats['norms'][2] == pytest.approx(0.5)
    empty = class_salience_norms([], [], 2)
    assert empty['norms'] == [None, None] and empty['image_count'] == [0, 0]
    with pytest.raises(ValueError, match='1..3'):
        class_salience_norms([4], [0.5], 3)


def test_norms_file_roundtrip_and_errors(tmp_path):
    stats = class_salience_norms([1, 2], [0.9, 0.45], 2)
    path = str(tmp_path / 'n.json')
    save_norms(path, stats, class_names=['a', 'b'], split='train')
    data = load_norms(path)
    assert data['norms'] == pytest.approx([1.0, 0.5])
    assert data['class_names'] == ['a', 'b'] and data['split'] == 'train'
    sel = SalientObjectSelector(path)
    assert sel.norms == pytest.approx([1.0, 0.5])
    bad = tmp_path / 'bad.json'
    bad.write_text('{"norms": [1.2]}')
    with pytest.raises(ValueError, match=r'norms\[0\]'):
        load_norms(str(bad))
    with pytest.raises(FileNotFoundError, match='nope.json'):
        load_norms(str(tmp_path / 'nope.json'))


def test_compose_label_pixelwise():
    label = np.array([[0, 2, 2, I],
                      [1, 2, I, I]], np.uint8)
    new = np.array([[1, 0, 1, 1],
                    [0, 0, 0, 0]], bool)
    out = compose_label(label, 2, new)
    # new region -> 2 (also over 0 and over 255); old 2 outside -> 0;
    # 255 outside kept; other class (1) outside kept
    np.testing.assert_array_equal(out, [[2, 0, 2, 2],
                                        [1, 0, I, I]])
    assert out.dtype == np.uint8


def _reference_compose(label, c, new_region):
    """compose_label as the masked assignments the paper's rule reads."""
    out = label.copy()
    out[label == c] = 0
    out[new_region] = c
    return out


@pytest.mark.parametrize('dtype', [np.uint8, np.int64])
@pytest.mark.parametrize('seed', range(4))
def test_region_overlap_and_compose_equal_the_reference(dtype, seed):
    """The counting / bitwise fast path gives the masked formulas' numbers
    and bytes: o of class_iou over the decided pixels, the composed label,
    and the count of changed pixels."""
    rng = np.random.default_rng(seed)
    # blocky label with ignore pixels, classes 0..3, and a noisy saliency
    label = np.kron(rng.integers(0, 4, (6, 9)), np.ones((5, 7), int))
    label[rng.random(label.shape) < 0.1] = I
    label = label.astype(dtype)
    sal = rng.random(label.shape) < 0.4
    for c in (1, 2, 3, 7):                 # 7: absent from the label
        region, o, changed = region_overlap(label, c, sal)
        assert o == class_iou(label == c, sal, valid=label != I)
        np.testing.assert_array_equal(region, label == c)
        ref = _reference_compose(label, c, sal)
        out = compose_label(label, c, sal)
        assert out.dtype == label.dtype
        np.testing.assert_array_equal(out, ref)
        assert changed == np.count_nonzero(ref != label)
    for mode, kw in (('hard', dict(t0=0.0, t1=0.0)),
                     ('threshold', dict(alpha=0.0))):
        fused, dec = select_and_fuse(label, sal.astype(np.uint8) * 255,
                                     onehot(3, 2), [0.9, 0.9, 0.9],
                                     mode=mode, **kw)
        assert dec['decision'] == 'replaced'
        assert dec['changed'] == np.count_nonzero(fused != label)


# ------------------------------------------------------------- hard mode
def _case(shape=(10, 20)):
    """CAM region rows 2..6 x cols 2..6 (25 px) of class 3."""
    label = np.zeros(shape, np.uint8)
    label[2:7, 2:7] = 3
    return label


def _sal_with_iou(label, c, extra_cols):
    """Saliency = CAM region widened by `extra_cols` columns (to the right),
    so IoU = 25 / (25 + 5 * extra_cols)."""
    sal = np.zeros(label.shape, np.uint8)
    sal[2:7, 2:7 + extra_cols] = 230
    return sal


@pytest.mark.parametrize('n_c,extra,expected', [
    (0.9, 2, 'replaced'),    # salient, o = 25/35 = 0.71 > 0.4
    (0.9, 8, 'kept'),        # salient, o = 25/65 = 0.385 <= 0.4
    (0.5, 7, 'replaced'),    # n_c == salience_thr counts as salient, 0.417
    (0.3, 7, 'kept'),        # not salient, 0.417 in (0.4, 0.6]
    (0.3, 3, 'replaced'),    # not salient, o = 25/40 = 0.625 > 0.6
    (None, 3, 'replaced'),   # no norm: not salient, 0.625 > 0.6
    (None, 4, 'kept'),       # no norm: not salient, 25/45 = 0.556
])
def test_hard_mode_thresholds(n_c, extra, expected):
    label = _case()
    sal = _sal_with_iou(label, 3, extra)
    out, info = fuse_hard(label, 3, sal, n_c, t0=0.4, t1=0.2,
                          salience_thr=0.5)
    assert info['decision'] == expected
    assert info['iou'] == pytest.approx(25 / (25 + 5 * extra))
    assert info['salient'] == (n_c is not None and n_c >= 0.5)
    if expected == 'replaced':
        np.testing.assert_array_equal(out, np.where(sal > 0, 3, 0))
    else:
        assert out is label or np.array_equal(out, label)


def test_hard_mode_strict_threshold_at_t0():
    label = np.zeros((1, 10), np.uint8)
    label[0, :4] = 1
    sal = np.zeros((1, 10), np.uint8)
    sal[0, 2:6] = 255                    # inter 2, union 6... -> 1/3
    sal[0, :2] = 255                     # inter 4, union 6 -> 2/3
    sal[0, 2:10] = 255                   # inter 4, union 10 -> 0.4 exactly
    out, info = fuse_hard(label, 1, sal, 1.0)
    assert info['iou'] == pytest.approx(0.4)
    assert info['decision'] == 'kept'    # o > t0 is strict


def test_hard_mode_empty_saliency_leaves_label():
    label = _case()
    for sal in (np.zeros((10, 20), np.uint8),
                np.full((10, 20), 100, np.uint8)):    # all below 0.5
        out, info = fuse_hard(label, 3, sal, 1.0)
        assert info['decision'] == 'empty-saliency'
        np.testing.assert_array_equal(out, label)


def test_hard_mode_ignore_pixels():
    label = _case()
    label[2:7, 7:9] = I                  # undecided band right of the object
    label[0, 0:3] = I                    # undecided far away
    sal = np.zeros((10, 20), np.uint8)
    sal[2:7, 2:9] = 255                  # object + band
    # band pixels are left out of the IoU: o = 25 / 25 = 1 (35 if counted)
    out, info = fuse_hard(label, 3, sal, 0.0)
    assert info['iou'] == pytest.approx(1.0)
    assert info['decision'] == 'replaced'
    assert (out[2:7, 2:9] == 3).all()    # never 255 inside the new region
    assert (out[0, 0:3] == I).all()      # kept where the sources disagree
    assert set(np.unique(out)) == {0, 3, I}


def test_hard_mode_shrinks_region_and_keeps_other_classes():
    label = _case()
    label[8, 8] = 1                      # a stray pixel of another class
    sal = np.zeros((10, 20), np.uint8)
    sal[3:7, 2:7] = 255                  # 20 of 25 px: o = 0.8
    out, info = fuse_hard(label, 3, sal, 1.0)
    assert info['decision'] == 'replaced'
    assert (out[2, 2:7] == 0).all()      # old region outside P_S -> bg
    assert out[8, 8] == 1
    assert (out[3:7, 2:7] == 3).all()


# ------------------------------------------------------------- soft mode
def test_soft_alpha_rule():
    # alpha* = (o + n_c) / 2 when it reaches tau, else 0
    assert soft_alpha(0.3, 0.2, tau=0.5) == 0.0           # 0.25 < tau
    assert soft_alpha(0.4, 0.6, tau=0.5) == pytest.approx(0.5)  # == tau
    assert soft_alpha(0.5, 0.8, tau=0.5) == pytest.approx(0.65)
    assert soft_alpha(1.0, 1.0, tau=0.5) == 1.0           # the top
    assert soft_alpha(0.8, None, tau=0.3) == pytest.approx(0.4)
    assert soft_alpha(0.8, None, tau=0.5) == 0.0          # missing n_c = 0
    assert soft_alpha(0.8, float('nan'), tau=0.5) == 0.0
    assert soft_alpha(0.0, 0.0, tau=0.0) == 0.0
    # the default tau is 0.5
    assert soft_alpha(0.3, 0.6) == 0.0                    # 0.45
    assert soft_alpha(0.45, 0.6) == pytest.approx(0.525)
    with pytest.raises(ValueError, match='IoU'):
        soft_alpha(1.2, 0.5)


def test_soft_alpha_blends_and_grows():
    """alpha* takes values strictly inside (0, 1) for inputs inside (0, 1)
    and never falls when o or n_c rises."""
    grid = np.linspace(0.0, 1.0, 21)
    table = np.array([[soft_alpha(o, n, tau=0.0) for n in grid]
                      for o in grid])
    inner = table[1:-1, 1:-1]
    assert (inner > 0).all() and (inner < 1).all()
    assert (np.diff(table, axis=0) >= 0).all()            # grows with o
    assert (np.diff(table, axis=1) >= 0).all()            # grows with n_c
    gated = np.array([[soft_alpha(o, n) for n in grid] for o in grid])
    assert (np.diff(gated, axis=0) >= 0).all()
    assert (np.diff(gated, axis=1) >= 0).all()
    fractional = gated[(gated > 0) & (gated < 1)]
    assert fractional.size > 100                          # it blends


@pytest.mark.parametrize('n_c', [0.4, 0.6, 0.75, 0.9])
def test_soft_gate_matches_algorithm1_thresholds(n_c):
    """With the defaults (tau = 0.5), soft mode acts exactly when
    o + n_c >= 1: at n_c = 0.6 (salience_thr) from o = t0 = 0.4, at
    n_c = 0.4 from o = t0 + t1 = 0.6."""
    for o in np.linspace(0.0, 1.0, 41):
        o = float(o)
        acts = soft_alpha(o, n_c) > 0
        assert acts == (o + n_c >= 1.0 - 1e-12), (o, n_c)


def test_soft_mode_alpha_star_below_tau_keeps_label():
    label = _case()
    sal = _sal_with_iou(label, 3, 8)                      # o = 0.385
    out, info = fuse_soft(label, 3, sal, 0.1)             # 0.2425 < 0.5
    assert info['decision'] == 'kept' and info['alpha'] == 0.0
    np.testing.assert_array_equal(out, label)


def test_soft_mode_without_cam_region_as_01_map():
    label = _case()
    sal = _sal_with_iou(label, 3, 3)                      # o = 0.625
    # alpha* = (0.625 + 0.6) / 2 = 0.6125; S = 230/255 = 0.902 on P_S:
    # inside the old region score = 0.3875 + 0.6125 * 0.902 >= 0.5, on the
    # 15 new px 0.6125 * 0.902 = 0.552 >= 0.5 -> the new region is P_S
    out, info = fuse_soft(label, 3, sal, 0.6, fuse_thr=0.5)
    assert info['decision'] == 'fused'
    assert info['alpha'] == pytest.approx(0.6125)
    np.testing.assert_array_equal(out, np.where(sal > 0, 3, 0))
    # weaker saliency (150/255 = 0.588): 0.6125 * 0.588 = 0.360 < 0.5, the
    # blend keeps the old region, where alpha = 1 would take P_S
    weak = np.where(sal > 0, 150, 0).astype(np.uint8)
    out, info = fuse_soft(label, 3, weak, 0.6, fuse_thr=0.5)
    assert info['decision'] == 'fused'
    np.testing.assert_array_equal(out, label)
    out, _ = fuse_soft(label, 3, weak, 0.6, weight=1.0, fuse_thr=0.5)
    np.testing.assert_array_equal(out, np.where(sal > 0, 3, 0))
    # a fixed weight below 0.5 cannot move a 0/1 map across 0.5
    out, info = fuse_soft(label, 3, sal, 0.6, weight=0.4, fuse_thr=0.5)
    assert info['alpha'] == 0.4
    np.testing.assert_array_equal(out, label)
    # alpha = 0: unchanged (the baseline), whatever o and n_c
    out, info = fuse_soft(label, 3, sal, 1.0, weight=0.0)
    assert info['decision'] == 'kept'
    np.testing.assert_array_equal(out, label)


def test_soft_mode_with_cam_hand_computed():
    label = np.array([[0, 1, 1, I]], np.uint8)
    cam = np.array([[0.1, 0.9, 0.5, 0.45]], np.float32)
    sal = np.array([[0.8, 1.0, 0.0, 0.6]], np.float32)
    # P_CAM = cam >= 0.4 on valid px (not the 255 one): {1, 2}; P_S = {0, 1}
    # (px 3 excluded from the IoU) -> o = 1/3
    # alpha* = (1/3 + 1/2) / 2 = 5/12, gate tau = 0.4 passed
    out, info = fuse_soft(label, 1, sal, 0.5, cam=cam, tau=0.4, fuse_thr=0.4)
    assert info['iou'] == pytest.approx(1 / 3)
    assert info['alpha'] == pytest.approx(5 / 12)
    # score = 7/12 cam + 5/12 sal = [.3917, .9417, .2917, .5125]: px0 (high
    # saliency, low CAM) stays out -- with alpha = 1 it would join
    a = 5 / 12
    score = (1 - a) * cam + a * sal
    np.testing.assert_allclose(score, [[0.391667, 0.941667, 0.291667,
                                        0.5125]], atol=1e-5)
    # px3 (was 255) enters the new region -> 1; px2 leaves it -> 0
    np.testing.assert_array_equal(out, [[0, 1, 0, 1]])
    out1, _ = fuse_soft(label, 1, sal, 0.5, cam=cam, weight=1.0, fuse_thr=0.4)
    np.testing.assert_array_equal(out1, [[1, 1, 0, 1]])
    # at the default tau = 0.5 the gate is not reached: 5/12 < 0.5
    out, info = fuse_soft(label, 1, sal, 0.5, cam=cam, fuse_thr=0.4)
    assert info['decision'] == 'kept' and info['alpha'] == 0.0
    np.testing.assert_array_equal(out, label)
    # fixed weight 0.25: score = [.275, .925, .375, .4875]
    out, info = fuse_soft(label, 1, sal, 0.5, cam=cam, weight=0.25,
                          fuse_thr=0.4)
    np.testing.assert_array_equal(out, [[0, 1, 0, 1]])


def test_soft_mode_ignore_pixels():
    label = np.array([[I, 2, 2, 0, I, 0]], np.uint8)
    cam = np.array([[0.9, 0.9, 0.2, 0.1, 0.1, 0.0]], np.float32)
    sal = np.array([[1.0, 1.0, 0.0, 1.0, 0.0, 0.0]], np.float32)
    # valid px 1..3, 5: P_CAM {1} (cam >= 0.5), P_S {1, 3} -> o = 1/2;
    # alpha* = (0.5 + 0.5) / 2 = 0.5
    out, info = fuse_soft(label, 2, sal, 0.5, cam=cam)
    assert info['iou'] == pytest.approx(0.5) and info['alpha'] == 0.5
    # score = [.95, .95, .1, .55, .05, 0] >= 0.5 -> {0, 1, 3}: px0 (255)
    # joins it, px4 (255) stays ignored outside it, px2 (old class) becomes
    # background
    np.testing.assert_array_equal(out, [[2, 2, 0, 2, I, 0]])


def test_soft_mode_empty_saliency_leaves_label():
    label = _case()
    out, info = fuse_soft(label, 3, np.zeros((10, 20), np.uint8), 1.0,
                          weight=1.0)
    assert info['decision'] == 'empty-saliency'
    np.testing.assert_array_equal(out, label)


# ---------------------------------------------------------- select_and_fuse
@pytest.mark.parametrize('mode', ['hard', 'soft'])
def test_multi_class_and_no_class_pass_through(mode):
    label = _case()
    label[0:2, 0:2] = 1
    sal = np.full((10, 20), 255, np.uint8)
    for img_label, expected in ((onehot(3, 1, 3), 'multi-class'),
                                (onehot(3), 'no-class')):
        out, dec = select_and_fuse(label, sal, img_label, [1.0, 1.0, 1.0],
                                   mode=mode, weight=1.0 if mode == 'soft'
                                   else None)
        assert dec['decision'] == expected and dec['changed'] == 0
        assert dec['class'] == -1
        np.testing.assert_array_equal(out, label)


def test_select_and_fuse_decision_record():
    label = _case()
    sal = _sal_with_iou(label, 3, 2)
    out, dec = select_and_fuse(label, sal, onehot(3, 3), [0.2, 0.4, 0.9],
                               img_id='x')
    assert dec['id'] == 'x' and dec['class'] == 3
    assert dec['n_c'] == pytest.approx(0.9) and dec['salient'] is True
    assert dec['decision'] == 'replaced' and dec['alpha'] == 1.0
    assert dec['changed'] == int((out != label).sum()) == 10
    # soft mode with CAMs: the map is picked by class from (keys, cams)
    cams = (np.array([0, 2]), np.stack([np.zeros((10, 20)),
                                         (label == 3) * 0.8]))
    out2, dec2 = select_and_fuse(label, sal, onehot(3, 3), [0.2, 0.4, 0.9],
                                 mode='soft', cams=cams, weight=1.0)
    np.testing.assert_array_equal(out2, out)
    with pytest.raises(ValueError, match='no map of class 3'):
        select_and_fuse(label, sal, onehot(3, 3), [0, 0, 0], mode='soft',
                        cams=(np.array([0]), np.zeros((1, 10, 10))))
    with pytest.raises(ValueError, match='cover 2 classes'):
        select_and_fuse(label, sal, onehot(3, 3), [1.0, 1.0])
    with pytest.raises(ValueError, match='differ in shape'):
        select_and_fuse(label, sal[:5], onehot(3, 3), [1.0] * 3)
    with pytest.raises(ValueError, match='alpha'):
        SalientObjectSelector([1.0], mode='hard', alpha=0.5)


def test_decision_row_and_log_roundtrip(tmp_path):
    _, dec = select_and_fuse(_case(), _sal_with_iou(_case(), 3, 2),
                             onehot(3, 3), [None, None, 0.9], img_id='a')
    _, multi = select_and_fuse(_case(), _sal_with_iou(_case(), 3, 2),
                               onehot(3, 1, 3), [None] * 3, img_id='b')
    path = tmp_path / 'log.csv'
    path.write_text(header_line() + format_row(
        decision_row(dec, ['x', 'y', 'z'])) + format_row(
            decision_row(multi)) + 'c,1,tru')       # truncated last line
    rows = read_rows(str(path))
    assert [r['id'] for r in rows] == ['a', 'b']
    assert rows[0]['class'] == '3' and rows[0]['class_name'] == 'z'
    assert rows[0]['decision'] == 'replaced' and rows[0]['alpha'] == '1.0000'
    assert float(rows[0]['iou']) == pytest.approx(25 / 35, abs=1e-4)
    assert rows[1]['class'] == '' and rows[1]['iou'] == ''
    assert rows[1]['decision'] == 'multi-class'


def test_selector_package_imports_no_openmmlab():
    """mmwsss.selector is pure: importing it (without the plugin's
    top-level package, which registers mm components) pulls in no
    OpenMMLab module and no torch."""
    code = (
        'import sys, types\n'
        f'pkg = types.ModuleType("mmwsss"); pkg.__path__ = '
        f'[{osp.join(REPO, "mmwsss")!r}]\n'
        'sys.modules["mmwsss"] = pkg\n'
        'import mmwsss.selector\n'
        'bad = sorted(m for m in sys.modules if m.split(".")[0] in '
        '("mmengine", "mmseg", "mmcv", "mmpretrain", "torch"))\n'
        'assert not bad, bad\n'
        'assert "mmwsss.selector.selector_core" in sys.modules\n'
        'print("PURE")\n')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr[-3000:]
    assert 'PURE' in out.stdout


def test_binarize_uint8_saliency_equals_the_float_test():
    """The uint8 shortcut of binarize_saliency gives the mask of the float
    test (saliency_to_float(s) >= thr) for every value and threshold."""
    from mmwsss.selector.selector_core import (binarize_saliency,
                                               saliency_to_float)
    sal = np.arange(256, dtype=np.uint8).reshape(16, 16)
    for thr in list(np.linspace(0.001, 1.0, 499)) + [1 / 255, 128 / 255]:
        np.testing.assert_array_equal(
            binarize_saliency(sal, thr),
            saliency_to_float(sal) >= np.float32(thr))
