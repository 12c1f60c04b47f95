"""The project's yardstick: dataset-level confusion-matrix metrics
(``mmwsss.utils.seg_metrics``) checked against mmseg's
``IoUMetric`` and hand-computed cases, and the two evaluation tools
(``tools/eval_cam.py``, ``tools/eval_labels.py``) on folders whose
scores are known."""
import json

import numpy as np
import pytest
import torch
from conftest import run_tool

from mmwsss.utils.seg_metrics import PRED_IGNORE_POLICIES
from mmwsss.evaluation.functional import (confusion_matrix,
                                          scores_from_confusion)
from mmwsss.datasets.voc_layout import TOY_CLASSES
from mmwsss.utils.io import save_cam_npz, save_label_png


def _mmseg_scores(pairs, num_classes):
    """aAcc, mIoU, mAcc (fractions, unrounded) and per-class IoU with
    mmseg's own IoUMetric maths, plus its rounded evaluate() output."""
    from mmseg.evaluation import IoUMetric
    metric = IoUMetric(ignore_index=255, iou_metrics=['mIoU'])
    metric.dataset_meta = dict(classes=[str(i) for i in range(num_classes)])
    areas = [IoUMetric.intersect_and_union(torch.from_numpy(p).long(),
                                           torch.from_numpy(g).long(),
                                           num_classes, 255)
             for g, p in pairs]
    totals = [sum(a[i] for a in areas) for i in range(4)]
    ret = IoUMetric.total_area_to_metrics(*totals, metrics=['mIoU'])
    for g, p in pairs:
        metric.process({}, [dict(
            pred_sem_seg=dict(data=torch.from_numpy(p)[None].long()),
            gt_sem_seg=dict(data=torch.from_numpy(g)[None].long()))])
    rounded = metric.evaluate(len(pairs))
    return dict(aAcc=float(ret['aAcc']), mIoU=float(np.nanmean(ret['IoU'])),
                mAcc=float(np.nanmean(ret['Acc'])),
                IoU=ret['IoU'].numpy() if hasattr(ret['IoU'], 'numpy')
                else np.asarray(ret['IoU'])), rounded


def _ours(pairs, num_classes, policy):
    cm = sum(confusion_matrix(g, p, num_classes, pred_ignore=policy)
             for g, p in pairs)
    return scores_from_confusion(cm)


def _random_pairs(seed, num_classes, n=5, with_pred_ignore=True):
    rng = np.random.default_rng(seed)
    pairs = []
    for _ in range(n):
        h, w = rng.integers(8, 40, size=2)
        gt = rng.integers(0, num_classes, size=(h, w))
        # some classes absent from some images, GT ignore band
        gt[rng.random((h, w)) < 0.1] = 255
        pred = np.where(rng.random((h, w)) < 0.6, gt, rng.integers(
            0, num_classes, size=(h, w)))
        pred[pred == 255] = 0
        if with_pred_ignore:
            pred[rng.random((h, w)) < 0.05] = 255
        pairs.append((gt.astype(np.uint8), pred.astype(np.uint8)))
    return pairs


@pytest.mark.parametrize('num_classes,seed', [(21, 0), (7, 1), (3, 2)])
def test_confusion_metrics_match_mmseg_iou_metric(num_classes, seed):
    pairs = _random_pairs(seed, num_classes)
    # mmseg counts a predicted 255 as a miss of its GT class: our "wrong"
    ref, rounded = _mmseg_scores(pairs, num_classes)
    ours = _ours(pairs, num_classes, 'wrong')
    assert ours['Acc'] == pytest.approx(ref['aAcc'], abs=1e-6)
    assert ours['mIoU'] == pytest.approx(ref['mIoU'], abs=1e-6)
    assert ours['Acc_class'] == pytest.approx(ref['mAcc'], abs=1e-6)
    np.testing.assert_allclose(ours['IoU'], ref['IoU'], atol=1e-6)
    assert 100 * ours['mIoU'] == pytest.approx(rounded['mIoU'], abs=0.006)
    assert 100 * ours['Acc'] == pytest.approx(rounded['aAcc'], abs=0.006)
    # "background": as mmseg on predictions with 255 -> 0
    bg_pairs = [(g, np.where(p == 255, 0, p).astype(np.uint8))
                for g, p in pairs]
    ref_bg, _ = _mmseg_scores(bg_pairs, num_classes)
    ours_bg = _ours(pairs, num_classes, 'background')
    assert ours_bg['mIoU'] == pytest.approx(ref_bg['mIoU'], abs=1e-6)
    assert ours_bg['Acc'] == pytest.approx(ref_bg['aAcc'], abs=1e-6)
    # "ignore": as mmseg with those pixels set to 255 in the GT too
    ig_pairs = [(np.where(p == 255, 255, g).astype(np.uint8), p)
                for g, p in pairs]
    ref_ig, _ = _mmseg_scores(ig_pairs, num_classes)
    ours_ig = _ours(pairs, num_classes, 'ignore')
    assert ours_ig['mIoU'] == pytest.approx(ref_ig['mIoU'], abs=1e-6)
    assert ours_ig['Acc'] == pytest.approx(ref_ig['aAcc'], abs=1e-6)


def test_dataset_level_not_mean_of_images():
    # image 1: perfect on class 1 (1 px); image 2: class 1 wrong (3 px)
    gt1, pr1 = np.array([[1, 0]]), np.array([[1, 0]])
    gt2, pr2 = np.array([[1, 1, 1, 0]]), np.array([[0, 0, 0, 0]])
    cm = confusion_matrix(gt1, pr1, 2) + confusion_matrix(gt2, pr2, 2)
    iou = scores_from_confusion(cm)['IoU']
    assert iou[1] == pytest.approx(1 / 4)   # per-image mean would be 0.5
    assert iou[0] == pytest.approx(2 / 5)


# hand-computed: pixels (gt, pred) = (0,0) (0,1) (1,1) (1,1) (2,255), and
# one GT-ignore pixel predicted 2
HAND_GT = np.array([[0, 0, 1], [1, 2, 255]], np.uint8)
HAND_PRED = np.array([[0, 1, 1], [1, 255, 2]], np.uint8)
HAND = {
    'background': dict(Acc=3 / 5, Acc_class=0.5, mIoU=1 / 3, fwIoU=0.4,
                       IoU=[1 / 3, 2 / 3, 0.0]),
    'ignore': dict(Acc=3 / 4, Acc_class=0.75, mIoU=7 / 12, fwIoU=7 / 12,
                   IoU=[0.5, 2 / 3, np.nan]),
    'wrong': dict(Acc=3 / 5, Acc_class=0.5, mIoU=7 / 18, fwIoU=7 / 15,
                  IoU=[0.5, 2 / 3, 0.0]),
}


@pytest.mark.parametrize('policy', sorted(HAND))
def test_confusion_metrics_hand_computed(policy):
    scores = scores_from_confusion(
        confusion_matrix(HAND_GT, HAND_PRED, 3, pred_ignore=policy))
    for key in ('Acc', 'Acc_class', 'mIoU', 'fwIoU'):
        assert scores[key] == pytest.approx(HAND[policy][key]), key
    np.testing.assert_allclose(scores['IoU'], HAND[policy]['IoU'])


def _reference_confusion(gt, pred, num_classes, policy):
    """The confusion matrix re-stated pixel by pixel (np.add.at)."""
    cm = np.zeros((num_classes, num_classes + 1), np.int64)
    g, p = gt.reshape(-1).astype(int), pred.reshape(-1).astype(int)
    keep = g != 255
    if policy == 'ignore':
        keep &= p != 255
    g, p = g[keep], p[keep]
    p = np.where(p == 255, 0 if policy == 'background' else num_classes, p)
    np.add.at(cm, (g, p), 1)
    return cm


def _blob_pair(rng, h, w, num_classes):
    """Piecewise-constant maps (label-map-like: long runs), GT 255 band,
    some predicted 255."""
    yy, xx = np.mgrid[:h, :w]
    gt = np.zeros((h, w), np.uint8)
    pred = np.zeros((h, w), np.uint8)
    for _ in range(3):
        c = rng.integers(1, num_classes)
        cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(1, h + 3)
        d = np.hypot(yy - cy, xx - cx) / r
        gt[d < 1] = c
        gt[(d >= 1) & (d < 1.1)] = 255
        pred[np.hypot(yy - cy - 2, xx - cx + 1) / r < 1.05] = c
    pred[:, -2:] = 255
    return gt, pred


@pytest.mark.parametrize('policy', PRED_IGNORE_POLICIES)
def test_uint8_confusion_matches_pixel_count(policy):
    # uint8 maps take the run-length path (label-map-like) or the bincount
    # path (noise); both must give the pixel-by-pixel matrix exactly,
    # including sizes that are not a multiple of 8 and runs that cross
    # rows
    rng = np.random.default_rng(0)
    shapes = [(1, 1), (1, 2), (3, 3), (2, 8), (7, 9), (60, 61), (375, 500)]
    for h, w in shapes:
        for num_classes in (3, 21):
            blob = _blob_pair(rng, h, w, num_classes)
            noise = tuple(rng.choice(np.r_[np.arange(num_classes), 255],
                                     (h, w)).astype(np.uint8)
                          for _ in range(2))
            for gt, pred in (blob, noise):
                got = confusion_matrix(gt, pred, num_classes,
                                       pred_ignore=policy)
                ref = _reference_confusion(gt, pred, num_classes, policy)
                assert got.dtype == np.int64
                np.testing.assert_array_equal(got, ref)
                # the general (non-uint8) path agrees too
                np.testing.assert_array_equal(confusion_matrix(
                    gt.astype(np.int32), pred.astype(np.int32), num_classes,
                    pred_ignore=policy), ref)


def test_uint8_confusion_range_errors():
    gt = np.zeros((40, 40), np.uint8)
    pred = np.zeros((40, 40), np.uint8)
    gt[5:9, 5:9] = 7
    with pytest.raises(ValueError, match='gt holds class 7 outside'):
        confusion_matrix(gt, pred, 3)
    gt[5:9, 5:9] = 255          # ignored gt: its prediction is not checked
    pred[5:9, 5:9] = 9
    assert confusion_matrix(gt, pred, 3).sum() == 40 * 40 - 16
    pred[20, 20] = 9
    with pytest.raises(ValueError, match='prediction holds class 9 outside'):
        confusion_matrix(gt, pred, 3)


def test_confusion_matrix_errors():
    with pytest.raises(ValueError, match='differ in shape'):
        confusion_matrix(np.zeros((2, 2)), np.zeros((2, 3)), 3)
    with pytest.raises(ValueError, match='outside'):
        confusion_matrix(np.full((2, 2), 5), np.zeros((2, 2)), 3)
    with pytest.raises(ValueError, match='pred_ignore'):
        confusion_matrix(np.zeros((2, 2)), np.zeros((2, 2)), 3,
                         pred_ignore='drop')


# ---------------------------------------------------------------------------
# the tools, on a tiny VOC-layout folder with known answers
def _eval_labels(**kw):
    from mmwsss.evaluation.functional.label_eval import evaluate_labels
    return evaluate_labels(**kw)


def _eval_cams(**kw):
    from mmwsss.evaluation.functional.label_eval import evaluate_cams
    return evaluate_cams(**kw)


@pytest.fixture(scope='module')
def tiny_root(tmp_path_factory):
    """3 toy-class images (6 fg classes), GT, CAMs and label maps."""
    root = tmp_path_factory.mktemp('tiny_voc')
    rng = np.random.default_rng(0)
    ids = ['a', 'b', 'c']
    (root / 'ImageSets' / 'Segmentation').mkdir(parents=True)
    (root / 'ImageSets' / 'Segmentation' / 'train.txt').write_text(
        '\n'.join(ids) + '\n')
    labels = {}
    gts, cams, preds = {}, {}, {}
    for k, img_id in enumerate(ids):
        gt = np.zeros((12, 16), np.uint8)
        gt[2:8, 3:9] = k + 1               # classes 1, 2, 3
        gt[6:11, 10:15] = 4
        gt[1, :] = 255
        keys = np.array([k, 3])
        cam = rng.random((2, 12, 16)).astype(np.float32) * 0.5
        cam[0][gt == k + 1] += 0.45 * rng.random()
        cam[1][gt == 4] += 0.4
        save_label_png(root / 'SegmentationClassAug' / f'{img_id}.png', gt)
        save_cam_npz(str(root / 'cams' / f'{img_id}.npz'), keys, cam)
        pred = np.where(rng.random(gt.shape) < 0.7, gt, 0).astype(np.uint8)
        pred[0, :4] = 255
        save_label_png(root / 'pred' / f'{img_id}.png', pred)
        vec = np.zeros(6, np.float32)
        vec[keys] = 1
        labels[img_id] = vec
        gts[img_id], preds[img_id] = gt, pred
        # what the tool will read back: float16 CAMs
        cams[img_id] = (keys, cam.clip(0, 1).astype(np.float16)
                        .astype(np.float32))
    np.save(root / 'cls_labels.npy', labels)
    return root, ids, gts, cams, preds


@pytest.mark.integration
def test_eval_labels_tool(tiny_root, tmp_path):
    root, ids, gts, _, preds = tiny_root
    out = tmp_path / 'scores.json'
    proc = run_tool('tools/eval_labels.py', '--pred-dir',
                    root / 'pred', '--data-root', root, '--split', 'train',
                    '--pred-ignore', 'wrong', '--out-json', out, '--nproc', 2)
    data = json.loads(out.read_text())
    ref, _ = _mmseg_scores([(gts[i], preds[i]) for i in ids], 7)
    assert data['class_names'] == list(TOY_CLASSES)  # 6 labels + bg
    assert data['pred_ignore'] == 'wrong'
    assert data['num_images'] == 3
    assert data['mIoU'] == pytest.approx(ref['mIoU'], abs=1e-6)
    assert data['Acc'] == pytest.approx(ref['aAcc'], abs=1e-6)
    assert data['IoU']['ball'] == pytest.approx(ref['IoU'][1], abs=1e-6)
    assert data['IoU']['bottle'] is None and data['IoU']['chair'] is None
    assert 'predicted 255 -> wrong' in proc.stdout
    assert '| train |' in proc.stdout and '| mIoU |' in proc.stdout
    # the default policy is background and is reported
    data2 = _eval_labels(pred_dir=str(root / 'pred'), data_root=str(root),
                         classes='toy')
    assert data2['pred_ignore'] == 'background'
    ours = _ours([(gts[i], preds[i]) for i in ids], 7, 'background')
    assert data2['mIoU'] == pytest.approx(ours['mIoU'])
    assert data2['mIoU'] != pytest.approx(data['mIoU'])


def test_eval_labels_missing_file(tiny_root, tmp_path):
    root = tiny_root[0]
    (tmp_path / 'pred').mkdir()
    with pytest.raises(FileNotFoundError,
                       match=r'3 of 3 images .*pred/a\.png'):
        _eval_labels(pred_dir=str(tmp_path / 'pred'), data_root=str(root))
    with pytest.raises(FileNotFoundError, match='CAM folder not found'):
        _eval_cams(cam_dir=str(tmp_path / 'none'), data_root=str(root))


def test_eval_cam_tool_sweep(tiny_root, tmp_path, capsys):
    from mmwsss.cam import cam_to_label
    root, ids, gts, cams, _ = tiny_root
    out = tmp_path / 'cam.json'
    thresholds = [0.2, 0.4, 0.5, 0.6, 0.7]
    data = _eval_cams(cam_dir=str(root / 'cams'), data_root=str(root),
                      thresholds=thresholds, out_json=str(out))
    assert json.loads(out.read_text()) == data
    # reference: label maps by hand (argmax with a bg plane), mmseg metric
    expected = []
    for t in thresholds:
        pairs = []
        for i in ids:
            keys, cam = cams[i]
            scores = np.concatenate([np.full((1, ) + cam.shape[1:], t), cam])
            pred = np.concatenate([[0], keys + 1])[scores.argmax(0)]
            np.testing.assert_array_equal(pred, cam_to_label(keys, cam, t))
            pairs.append((gts[i], pred.astype(np.uint8)))
        expected.append(_mmseg_scores(pairs, 7)[0]['mIoU'])
    got = [s['mIoU'] for s in data['sweep']]
    np.testing.assert_allclose(got, expected, atol=1e-6)
    best = int(np.argmax(expected))
    assert data['best_threshold'] == thresholds[best]
    assert data['mIoU'] == pytest.approx(expected[best])
    assert 0 < best < len(thresholds) - 1   # the sweep has an interior peak
    printed = capsys.readouterr().out
    assert f'| {thresholds[best]:.2f} | {100 * expected[best]:.2f} (best) |' \
        in printed
    assert 'predicted 255 -> background' in printed
    assert data['split'].endswith('train.txt')  # the default split


def test_edge_extension_of_the_threshold_grid():
    from mmwsss.cam.cam_to_label import DEFAULT_BG_THRESHOLDS as D
    from mmwsss.evaluation.functional.label_eval import edge_extension
    # the default grid 0.05..0.60: below 0.05 the next step would be 0, so
    # a finer grid; above 0.60 three more steps; inside nothing
    assert edge_extension(D, 0) == [0.01, 0.02, 0.03, 0.04]
    assert edge_extension(D, len(D) - 1) == [0.65, 0.7, 0.75]
    assert edge_extension(D, 3) == []
    assert edge_extension([0.3, 0.4, 0.5], 0) == [0.1, 0.2]  # not 0.0
    assert edge_extension([0.8, 0.9], 1) == []          # 1.0 is the end
    assert edge_extension([0.7, 0.8], 1) == [0.9]
    assert edge_extension([0.01, 0.02], 0) == [0.006, 0.008]  # >= 0.005


def test_eval_cam_extends_a_grid_whose_best_is_on_its_edge(tiny_root):
    root = tiny_root[0]
    kw = dict(cam_dir=str(root / 'cams'), data_root=str(root),
              log=lambda *_: None)
    full = _eval_cams(thresholds=[0.2, 0.3, 0.4, 0.5, 0.6, 0.7],
                      extend=False, **kw)
    best = full['best_threshold']
    assert 0.2 < best < 0.6   # an interior peak (see the sweep test)
    # a grid that starts above the peak: its best is on its lower edge;
    # extended by 0.1 steps until the peak is inside
    edge = _eval_cams(thresholds=[0.6, 0.7], extend=False, **kw)
    assert edge['best_threshold'] == 0.6 and edge['grid_extended'] == []
    ext = _eval_cams(thresholds=[0.6, 0.7], **kw)
    assert ext['best_threshold'] == pytest.approx(best)
    assert ext['grid_extended'][0] < best < 0.6
    assert [s['threshold'] for s in ext['sweep']] == \
        sorted(ext['grid_extended'] + [0.6, 0.7])
    by_t = {round(s['threshold'], 4): s['mIoU'] for s in full['sweep']}
    for s in ext['sweep']:   # the same scores as a plain sweep
        if round(s['threshold'], 4) in by_t:
            assert s['mIoU'] == pytest.approx(by_t[round(s['threshold'], 4)])
    assert ext['mIoU'] == pytest.approx(full['mIoU'])
