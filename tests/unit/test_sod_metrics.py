"""SOD metrics (MAE, F-measure, S-measure, E-measure) against the
``pysodmetrics`` package, on random maps, on shape-like maps and through the
registered mm metric; plus hand-checked cases."""
import warnings

import cv2
import numpy as np
import pytest
import torch

from mmwsss.evaluation.functional.sod_metrics import (aggregate_sod_stats,
                                                      prepare_sod_inputs,
                                                      sod_image_stats,
                                                      sod_metrics)

py_sod_metrics = pytest.importorskip('py_sod_metrics')
KEYS = ('MAE', 'maxFm', 'meanFm', 'adpFm', 'Sm', 'maxEm', 'meanEm', 'adpEm')


def reference(preds, gts):
    """The same numbers from pysodmetrics (uint8 maps, its own
    normalisation)."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # Fmeasure's deprecation notice
        fm = py_sod_metrics.Fmeasure()
    mae, sm, em = (py_sod_metrics.MAE(), py_sod_metrics.Smeasure(),
                   py_sod_metrics.Emeasure())
    for p, g in zip(preds, gts):
        for m in (fm, mae, sm, em):
            m.step(pred=p, gt=g)
    f, e = fm.get_results()['fm'], em.get_results()['em']
    return dict(MAE=mae.get_results()['mae'], maxFm=f['curve'].max(),
                meanFm=f['curve'].mean(), adpFm=f['adp'],
                Sm=sm.get_results()['sm'], maxEm=e['curve'].max(),
                meanEm=e['curve'].mean(), adpEm=e['adp'])


def assert_agree(ours, ref, atol=1e-4):
    for k in KEYS:
        assert abs(ours[k] - float(ref[k])) <= atol, (k, ours[k], ref[k])


def random_pairs(rng, n=10):
    preds, gts = [], []
    for i in range(n):
        h, w = rng.integers(17, 70, size=2)
        pred = rng.integers(0, 256, (h, w)).astype(np.uint8)
        gt = ((rng.random((h, w)) > rng.uniform(0.3, 0.9)) * 255).astype(
            np.uint8)
        preds.append(pred)
        gts.append(gt)
    # corner cases: empty mask, full mask, constant map, one-pixel object
    preds[0][:] = rng.integers(0, 256, preds[0].shape)
    gts[0][:] = 0
    gts[1][:] = 255
    preds[2][:] = 77
    gts[3][:] = 0
    gts[3][5, 7] = 255
    return preds, gts


def shape_pairs(rng, n=8, size=(120, 160)):
    """Object masks (ellipses, boxes, anti-aliased grey edges) and
    predictions that resemble a network's: blurred, shifted, noisy, with a
    false positive blob."""
    preds, gts = [], []
    for _ in range(n):
        gt = np.zeros(size, np.uint8)
        for _ in range(rng.integers(1, 3)):
            cx, cy = rng.integers(20, size[1] - 20), rng.integers(20, size[0] - 20)
            if rng.random() < 0.5:
                cv2.ellipse(gt, (int(cx), int(cy)),
                            (int(rng.integers(6, 30)), int(rng.integers(6, 30))),
                            float(rng.uniform(0, 180)), 0, 360, 255, -1,
                            cv2.LINE_AA)
            else:
                cv2.rectangle(gt, (int(cx) - 15, int(cy) - 10),
                              (int(cx) + 15, int(cy) + 12), 255, -1)
        soft = cv2.GaussianBlur(gt.astype(np.float32), (0, 0),
                                float(rng.uniform(1, 5)))
        soft = np.roll(soft, rng.integers(-4, 5, size=2), axis=(0, 1))
        fx, fy = rng.integers(10, size[1] - 10), rng.integers(10, size[0] - 10)
        cv2.circle(soft, (int(fx), int(fy)), 6, float(rng.uniform(60, 200)),
                   -1)
        soft += rng.normal(0, 12, size)
        preds.append(np.clip(soft, 0, 255).astype(np.uint8))
        gts.append(gt)
    return preds, gts


def test_agrees_with_pysodmetrics_on_random_maps():
    preds, gts = random_pairs(np.random.default_rng(0))
    assert_agree(sod_metrics(preds, gts), reference(preds, gts))


def test_agrees_with_pysodmetrics_on_shape_like_maps():
    preds, gts = shape_pairs(np.random.default_rng(1))
    ours = sod_metrics(preds, gts)
    assert_agree(ours, reference(preds, gts))
    # sanity: these maps are good but not perfect predictions
    assert 0.0 < ours['MAE'] < 0.2 and 0.5 < ours['maxFm'] < 1.0


def test_hand_checked_cases():
    gt = np.zeros((10, 10), bool)
    gt[2:6, 3:8] = True
    perfect = prepare_sod_inputs(gt.astype(np.float64), gt, normalize=False)
    res = aggregate_sod_stats([sod_image_stats(*perfect)])
    assert res['MAE'] == 0
    assert res['maxFm'] == pytest.approx(1.0)
    assert res['Sm'] == pytest.approx(1.0)
    assert res['maxEm'] == pytest.approx(1.0, abs=0.02)  # /(N-1) convention
    # all-zero prediction of an empty mask: perfect, S = 1 - mean(pred) = 1
    empty = np.zeros((4, 4), bool)
    st = sod_image_stats(np.zeros((4, 4)), empty)
    assert st['mae'] == 0 and st['sm'] == 1.0
    # a map at 0.5 everywhere on a half-foreground image: MAE 0.5; at the
    # threshold 127 (uint8(0.5*255)=127) all pixels are predicted
    # salient: precision 0.5, recall 1 -> F = 1.3*0.5/(0.3*0.5+1)
    half = np.zeros((4, 4), bool)
    half[:2] = True
    st = sod_image_stats(np.full((4, 4), 0.5), half)
    assert st['mae'] == pytest.approx(0.5)
    assert st['fm_curve'].max() == pytest.approx(1.3 * 0.5 / 1.15)


def test_prepare_inputs_checks():
    with pytest.raises(ValueError, match='one shape'):
        prepare_sod_inputs(np.zeros((3, 4), np.uint8), np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r'\[0, 1\]'):
        prepare_sod_inputs(np.full((2, 2), 2.0), np.zeros((2, 2), bool),
                           normalize=False)


def _sample(prob, gt, path='x.jpg'):
    return dict(seg_logits=dict(data=torch.from_numpy(prob)[None].float()),
                gt_sem_seg=dict(data=torch.from_numpy(gt)[None].long()),
                img_path=path)


def test_registered_metric_matches_pysodmetrics_on_saved_maps():
    """SODMetric on probabilities = pysodmetrics on the uint8 PNGs that
    run_saliency writes (round(255 p)) and 0/255 masks."""
    import mmwsss.mm_components  # noqa: F401  (registers components, compat fixes)
    from mmseg.registry import METRICS
    metric = METRICS.build(dict(type='SODMetric'))
    preds, gts = shape_pairs(np.random.default_rng(2), n=5, size=(64, 96))
    probs = [p.astype(np.float32) / 255 for p in preds]
    labels = [(g > 128).astype(np.uint8) for g in gts]
    metric.dataset_meta = dict(classes=('background', 'salient'))
    for prob, lab in zip(probs, labels):
        metric.process({}, [_sample(prob, lab)])
    ours = metric.evaluate(len(probs))
    saved = [np.round(p * 255).astype(np.uint8) for p in probs]
    assert_agree(ours, reference(saved, [lab * 255 for lab in labels]))
    # a two-channel (softmax) head is read through its foreground channel
    metric2 = METRICS.build(dict(type='SODMetric'))
    logit = np.log(np.clip(probs[0], 1e-4, 1 - 1e-4))
    two = np.stack([np.log1p(-np.exp(logit)), logit])
    metric2.process({}, [dict(seg_logits=dict(data=torch.from_numpy(two)),
                              gt_sem_seg=dict(data=torch.from_numpy(
                                  labels[0])[None].long()))])
    assert abs(metric2.evaluate(1)['MAE'] - float(
        reference(saved[:1], [labels[0] * 255])['MAE'])) < 1e-3


def test_metric_rejects_non_binary_masks():
    import mmwsss.mm_components  # noqa: F401  (registers components, compat fixes)
    from mmseg.registry import METRICS
    metric = METRICS.build(dict(type='SODMetric'))
    gt = np.zeros((8, 8), np.uint8)
    gt[2:4] = 200  # a 0/255-style mask that was not binarised
    with pytest.raises(ValueError, match='BinarizeMask'):
        metric.process({}, [_sample(np.zeros((8, 8), np.float32), gt,
                                    'bad_mask.png')])
