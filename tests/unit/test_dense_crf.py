"""Dense CRF refinement (optional pydensecrf2) on hand-checkable cases."""
import sys

import numpy as np
import pytest
import torch

import mmwsss.mm_components  # noqa: F401  (registers components, compat fixes)
from mmwsss.cam import dense_crf_refine

NEEDS_CRF = 'pydensecrf2 not installed: pip install -e ".[crf]"'


def _two_colour_case():
    """Left half black, right half white (16 x 24). Class 1 is confident on
    the left (0.9) except a 3-column strip next to the edge that leans
    slightly to class 0 (0.45); class 0 is confident on the right."""
    image = np.zeros((3, 16, 24), np.uint8)
    image[:, :, 12:] = 255
    p1 = np.full((16, 24), 0.9, np.float32)
    p1[:, 9:12] = 0.45
    p1[:, 12:] = 0.1
    return image, np.stack([1 - p1, p1])


def test_without_pairwise_terms_q_is_the_normalised_scores():
    pytest.importorskip('pydensecrf.densecrf', reason=NEEDS_CRF)
    g = np.random.default_rng(0)
    scores = g.random((3, 5, 7)).astype(np.float32) * 2
    image = g.integers(0, 256, (3, 5, 7)).astype(np.uint8)
    q = dense_crf_refine(image, scores, pos_w=0, bi_w=0, num_iter=5)
    # mean field with unary only: Q = softmax(log p) = p / sum p
    np.testing.assert_allclose(q, scores / scores.sum(0), rtol=1e-4,
                               atol=1e-6)


def test_crf_moves_the_wrong_strip_to_its_colour_region():
    pytest.importorskip('pydensecrf.densecrf', reason=NEEDS_CRF)
    image, scores = _two_colour_case()
    before = scores.argmax(0)
    assert (before[:, 9:12] == 0).all()  # wrong before the CRF
    q = dense_crf_refine(torch.from_numpy(image), torch.from_numpy(scores))
    assert isinstance(q, torch.Tensor) and q.shape == scores.shape
    torch.testing.assert_close(q.sum(0), torch.ones(16, 24))
    label = q.argmax(0).numpy()
    expected = np.zeros((16, 24), np.int64)
    expected[:, :12] = 1  # the colour regions
    np.testing.assert_array_equal(label, expected)


def test_segmentor_crf_prediction_follows_the_image(tmp_path):
    pytest.importorskip('pydensecrf.densecrf', reason=NEEDS_CRF)
    import cv2
    from mmseg.structures import SegDataSample

    from mmwsss.models.segmentors.crf_encoder_decoder import (crf_predict,
                                                              crf_settings)
    image, scores = _two_colour_case()
    path = str(tmp_path / 'img.png')
    cv2.imwrite(path, image.transpose(1, 2, 0))
    sample = SegDataSample(metainfo=dict(img_path=path))
    enabled, kwargs = crf_settings(dict(enabled=True, num_iter=10))
    assert enabled
    pred = crf_predict(torch.from_numpy(scores), sample, kwargs)
    assert tuple(pred.shape) == (1, 16, 24)
    assert (pred[0, :, :12] == 1).all() and (pred[0, :, 12:] == 0).all()
    with pytest.raises(ValueError, match='unknown crf keys'):
        crf_settings(dict(enabled=True, bi_std=3))


def test_missing_package_message(monkeypatch):
    monkeypatch.setitem(sys.modules, 'pydensecrf', None)
    monkeypatch.setitem(sys.modules, 'pydensecrf.densecrf', None)
    with pytest.raises(ImportError, match=r"pip install -e '\.\[crf\]'"):
        dense_crf_refine(np.zeros((3, 2, 2)), np.ones((2, 2, 2)))


def test_crf_encoder_decoder_predicts_crf_labels(tmp_path):
    """CRFEncoderDecoder (toy seg config, random weights): with the CRF on,
    pred_sem_seg is the CRF argmax of its own softmax on the image; off,
    mmseg's argmax."""
    pytest.importorskip('pydensecrf.densecrf', reason=NEEDS_CRF)
    import os.path as osp

    import cv2
    from conftest import REPO
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    from mmseg.structures import SegDataSample

    import mmwsss  # noqa: F401
    cfg = Config.fromfile(osp.join(
        REPO, 'configs/seg/deeplabv3plus_r18w32-d16_1xb8-1200_toy-pseudo-'
        '64x64.py'))
    init_default_scope('mmseg')
    image, _ = _two_colour_case()
    path = str(tmp_path / 'img.png')
    cv2.imwrite(path, image.transpose(1, 2, 0))
    preds = {}
    for enabled in (False, True):
        cfg.model.type = 'CRFEncoderDecoder'
        cfg.model.crf = dict(enabled=enabled, num_iter=5)
        torch.manual_seed(0)
        model = MODELS.build(cfg.model).eval()
        meta = dict(img_path=path, img_shape=(16, 24), ori_shape=(16, 24),
                    pad_shape=(16, 24))
        x = torch.from_numpy(image).float()[None]
        with torch.no_grad():
            out = model.predict(x, [SegDataSample(metainfo=meta)])[0]
        preds[enabled] = out.pred_sem_seg.data
        probs = out.seg_logits.data.softmax(0)
    np.testing.assert_array_equal(preds[False], probs.argmax(0, keepdim=True))
    q = dense_crf_refine(torch.from_numpy(image), probs, num_iter=5)
    np.testing.assert_array_equal(preds[True], q.argmax(0, keepdim=True))
