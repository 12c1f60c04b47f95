"""Pure CAM maths (mmwsss.cam): eq. 2, IRN's multi-scale protocol, CAM ->
label, pixel-adaptive refinement."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmwsss.cam import (DEFAULT_BG_THRESHOLDS, cam_to_label, class_activation,
                        multiscale_cam, neighbour_offsets, normalize_cams,
                        par_affinity, pixel_adaptive_refine, scaled_size)


def test_class_activation_is_1x1_classifier_and_gap_commutes():
    torch.manual_seed(0)
    feats = torch.randn(2, 5, 4, 6)
    weight = torch.randn(3, 5, 1, 1)
    cam = class_activation(feats, weight)
    expected = torch.einsum('bdhw,cd->bchw', feats, weight[:, :, 0, 0])
    torch.testing.assert_close(cam, expected)
    # GAP(W * X) == W * GAP(X): the logits and the CAMs share the weights
    torch.testing.assert_close(cam.mean((2, 3)),
                               feats.mean((2, 3)) @ weight[:, :, 0, 0].T)
    torch.testing.assert_close(class_activation(feats, weight[:, :, 0, 0]),
                               cam)


def test_normalize_cams_eq2():
    cam = torch.tensor([[[-1.0, 2.0], [4.0, 0.0]],
                        [[-3.0, -1.0], [-2.0, -5.0]]])
    out = normalize_cams(cam, eps=0.0)
    torch.testing.assert_close(out[0], torch.tensor([[0.0, 0.5], [1.0, 0.0]]))
    # a class with no positive evidence stays all zero (no division by 0)
    assert torch.count_nonzero(normalize_cams(cam)[1]) == 0
    assert normalize_cams(cam).max() < 1.0


def test_scaled_size_rounds_like_irn():
    assert scaled_size((375, 500), 0.5) == (188, 250)
    assert scaled_size((375, 500), 1.5) == (562, 750)
    assert scaled_size((1, 1), 0.1) == (1, 1)


class _StridedConv:
    """A linear 'network': average pooling by ``stride`` then a 1x1 conv."""

    def __init__(self, stride=4, num_classes=3, seed=0):
        g = torch.Generator().manual_seed(seed)
        self.stride = stride
        self.weight = torch.randn(num_classes, 3, 1, 1, generator=g)
        self.calls = []

    def __call__(self, x):
        self.calls.append(tuple(x.shape))
        feat = F.avg_pool2d(x, self.stride, ceil_mode=True)
        return class_activation(feat, self.weight)


def _reference_multiscale(net, image, keys, scales, flip):
    """IRN's make_cam.py written out: per scale and flip, ReLU CAMs
    upsampled to the strided-up size, cropped, summed, then divided by the
    max + 1e-5."""
    _, _, h, w = image.shape
    stride = net.stride
    up = (int(np.ceil(h / stride)) * stride, int(np.ceil(w / stride)) * stride)
    total = torch.zeros(len(keys), h, w)
    for s in scales:
        size = (int(round(h * s)), int(round(w * s)))
        x = F.interpolate(image, size=size, mode='bilinear',
                          align_corners=False) if size != (h, w) else image
        views = [x, x.flip(-1)] if flip else [x]
        for k, v in enumerate(views):
            cam = F.relu(net(v))[:, keys]
            if k == 1:
                cam = cam.flip(-1)
            cam = F.interpolate(cam, size=up, mode='bilinear',
                                align_corners=False)
            total += cam[0, :, :h, :w]
    return total / (total.flatten(1).max(1)[0][:, None, None] + 1e-5)


@pytest.mark.parametrize('size', [(32, 48), (29, 37)])
def test_multiscale_cam_matches_irn_protocol(size):
    torch.manual_seed(1)
    image = torch.randn(1, 3, *size)
    net = _StridedConv()
    keys = [2, 0]
    scales = (1.0, 0.5, 1.5, 2.0)
    out = multiscale_cam(net, image, keys, scales=scales, flip=True)
    ref = _reference_multiscale(_StridedConv(), image, keys, scales, True)
    assert out.shape == (2, *size)
    torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-5)
    assert out.min() >= 0 and out.max() < 1
    # one forward per scale, image and mirror batched together
    assert [c[0] for c in net.calls] == [2, 2, 2, 2]
    assert net.calls[1][2:] == scaled_size(size, 0.5)


def test_multiscale_cam_flip_makes_symmetric_net_symmetric():
    image = torch.randn(1, 3, 16, 16)
    out = multiscale_cam(_StridedConv(stride=1), image, [0], scales=(1.0, ))
    mirrored = multiscale_cam(_StridedConv(stride=1), image.flip(-1), [0],
                              scales=(1.0, ))
    torch.testing.assert_close(out, mirrored.flip(-1))


def test_multiscale_cam_no_keys():
    out = multiscale_cam(_StridedConv(), torch.randn(1, 3, 8, 8), [])
    assert out.shape == (0, 8, 8)


def test_cam_to_label_hand_case():
    cams = np.array([[[0.9, 0.2, 0.1], [0.5, 0.3, 0.0]],
                     [[0.8, 0.6, 0.3], [0.5, 0.2, 0.0]]], np.float32)
    keys = np.array([4, 11])  # classes 5 and 12 in the label map
    label = cam_to_label(keys, cams, cam_thr=0.3)
    # ties go to the earlier plane (background, then the first key); a CAM
    # equal to the threshold is background
    np.testing.assert_array_equal(label, [[5, 12, 0], [5, 0, 0]])
    assert label.dtype == np.uint8
    np.testing.assert_array_equal(
        cam_to_label(np.zeros(0, np.int64), np.zeros((0, 2, 3)), 0.3),
        np.zeros((2, 3)))
    np.testing.assert_allclose(DEFAULT_BG_THRESHOLDS,
                               np.arange(1, 13) * 0.05)


def test_par_affinity_is_convex_and_follows_edges():
    # left half dark, right half bright: a pixel next to the edge should
    # hardly draw from the other side
    image = torch.zeros(1, 3, 20, 20)
    image[..., 10:] = 1.0
    image += 0.01 * torch.randn(1, 3, 20, 20, generator=torch.Generator()
                                .manual_seed(0))
    aff = par_affinity(image, dilations=(1, 2))
    assert aff.shape == (1, 16, 20, 20)
    torch.testing.assert_close(aff.sum(1), torch.ones(1, 20, 20))
    assert (aff >= 0).all()
    offsets = neighbour_offsets((1, 2))
    across = [k for k, (dy, dx) in enumerate(offsets) if dx > 0]
    # pixel (5, 9): neighbours with dx > 0 lie on the bright side
    assert aff[0, across, 5, 9].sum() < 0.05


def test_par_keeps_constants_and_stops_at_edges():
    image = torch.zeros(3, 24, 24)
    image[:, :, 12:] = 1.0
    bg = torch.full((1, 24, 24), 0.3)
    cam = torch.zeros(1, 24, 24)
    cam[:, 8:16, 2:6] = 1.0  # a seed inside the dark half
    out = pixel_adaptive_refine(image, torch.cat([bg, cam]), num_iter=10,
                                dilations=(1, 2, 4))
    torch.testing.assert_close(out[0], bg[0])  # constant plane unchanged
    # the CAM spreads inside the dark half, hardly across the edge
    assert out[1, :, 12:].max() < 1e-3
    assert out[1, :, :12].min() > 0.01
    # refinement moved mass to dark pixels outside the seed
    assert out[1, 2:6, 2:6].mean() > 0.01
    with pytest.raises(ValueError, match='differ in size'):
        pixel_adaptive_refine(image, torch.zeros(2, 10, 10))


def _blob_scene(size=64, seed=0):
    """An image with two flat-coloured objects on a noisy background, its
    label map, and blurry CAMs like a stride-8 classifier's (the GT masks
    average-pooled by 8, upsampled bilinearly, normalised)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    label = np.zeros((size, size), np.uint8)
    label[(yy - 22) ** 2 + (xx - 20) ** 2 < 13 ** 2] = 1
    label[38:58, 34:60] = 2
    colours = np.array([[90, 110, 100], [220, 40, 40], [40, 60, 230]])
    image = colours[label] + rng.normal(0, 6, (size, size, 3))
    masks = torch.from_numpy(np.stack([label == 1, label == 2])).float()
    low = F.avg_pool2d(masks[None], 8)
    cams = F.interpolate(low, size=(size, size), mode='bilinear',
                         align_corners=False)[0]
    return image.astype(np.float32), label, normalize_cams(cams).numpy()


def test_par_moves_blurry_cam_labels_onto_object_edges():
    from mmwsss.cam import cam_scores_with_background, scores_to_label
    from mmwsss.evaluation.functional import (confusion_matrix,
                                              scores_from_confusion)
    image, gt, cams = _blob_scene()
    keys = np.array([0, 1])
    miou = {}
    for refine in (False, True):
        best = 0
        for thr in (0.2, 0.3, 0.4, 0.5, 0.6):
            scores = cam_scores_with_background(cams, thr)
            if refine:
                scores = pixel_adaptive_refine(
                    torch.from_numpy(image.transpose(2, 0, 1)),
                    torch.from_numpy(scores)).numpy()
            pred = scores_to_label(scores, keys)
            best = max(best, scores_from_confusion(
                confusion_matrix(gt, pred, 3))['mIoU'])
        miou[refine] = best
    assert miou[True] > miou[False] + 0.03, miou
