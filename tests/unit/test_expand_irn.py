"""IRN's learned expansion (stage 3): relation labels, path affinities,
random walk, checked on hand-made arrays against re-derived references."""
import itertools

import numpy as np
import pytest
import torch

from mmwsss.expand import (RandomWalkSettings, combine_relation_label,
                           expand_cams, pair_labels, path_affinity, propagate,
                           random_walk, relation_label, search_paths,
                           transition_matrix)


def test_relation_label_hand_made():
    keys = np.array([2, 5])                 # classes 3 and 6 (1-based)
    cams = np.zeros((2, 2, 4), np.float32)
    cams[0] = [[0.9, 0.30, 0.29, 0.0], [0.06, 0.05, 0.0, 0.5]]
    cams[1] = [[0.1, 0.00, 0.00, 0.0], [0.00, 0.00, 0.04, 0.7]]
    # a CAM equal to a threshold ties with the plane: the plane wins (IRN's
    # np.argmax), so 0.30 is not confident fg and 0.05 is confident bg
    want = np.array([[3, 255, 255, 0], [255, 0, 0, 6]], np.uint8)
    np.testing.assert_array_equal(relation_label(keys, cams, 0.30, 0.05), want)


def test_relation_label_rules():
    # IRN's combination: fg wins, bg only where both maps say background
    fg = np.array([[0, 0, 4], [4, 0, 0]], np.uint8)
    bg = np.array([[0, 4, 4], [0, 2, 0]], np.uint8)
    want = np.array([[0, 255, 4], [4, 255, 0]], np.uint8)
    np.testing.assert_array_equal(combine_relation_label(fg, bg), want)
    assert (relation_label([], np.zeros((0, 3, 3)), 0.3, 0.05) == 0).all()
    with pytest.raises(ValueError, match='bg_thr'):
        relation_label([0], np.zeros((1, 2, 2)), 0.1, 0.2)
    with pytest.raises(ValueError, match='K x H x W'):
        relation_label([0, 1], np.zeros((1, 2, 2)))


def test_search_paths_match_irn_rule():
    offsets, paths = search_paths(5)
    # IRN's half plane: 4 on the row, 30 below (x^2 + y^2 < 25, y > 0)
    assert len(offsets) == 4 + sum(1 for y in range(1, 5)
                                   for x in range(-4, 5) if x * x + y * y < 25)
    assert len(set(offsets)) == len(offsets)
    for (dy, dx), path in zip(offsets, paths):
        assert path[0] == (dy, dx) and (0, 0) in path
        if dy == 0 or dx == 0 or abs(dy) == abs(dx):     # straight lines
            n = max(abs(dy), abs(dx)) + 1
            assert len(path) == n if dy == 0 or dx == 0 else len(path) >= n


def _path_affinity_reference(edge, radius):
    """Loop re-statement: 1 - max of edge over the path cells, 1 outside."""
    offsets, paths = search_paths(radius)
    h, w = edge.shape
    out = np.zeros((len(offsets), h, w))
    for d, path in enumerate(paths):
        for y, x in itertools.product(range(h), range(w)):
            vals = [edge[y + cy, x + cx]
                    if 0 <= y + cy < h and 0 <= x + cx < w else 1.0
                    for cy, cx in path]
            out[d, y, x] = 1 - max(vals)
    return out


def test_path_affinity_against_loops():
    rng = np.random.default_rng(0)
    edge = rng.random((7, 9)).astype(np.float32)
    got = path_affinity(torch.from_numpy(edge), 4).numpy()
    np.testing.assert_allclose(got, _path_affinity_reference(edge, 4),
                               atol=1e-6)


def test_path_affinity_across_boundary_low_within_high():
    edge = np.full((12, 12), 0.02, np.float32)
    edge[:, 6] = 0.95                       # a drawn vertical boundary
    aff = path_affinity(torch.from_numpy(edge), 5).numpy()
    offsets, _ = search_paths(5)
    across = aff[offsets.index((0, 2)), 5, 5]      # (5,5) -> (5,7)
    within = aff[offsets.index((0, 2)), 5, 2]      # (5,2) -> (5,4)
    diag_across = aff[offsets.index((3, 3)), 2, 4]  # (2,4) -> (5,7)
    assert across == pytest.approx(0.05, abs=1e-6)
    assert diag_across == pytest.approx(0.05, abs=1e-6)
    assert within == pytest.approx(0.98, abs=1e-6)
    # a pair leaving the map has affinity 0
    assert aff[offsets.index((0, 2)), 5, 11] == 0


def test_pair_labels_hand_made():
    label = torch.tensor([[[0, 0, 255], [3, 3, 0]]])
    bg, fg, neg = pair_labels(label, 2)
    offsets, _ = search_paths(2)             # (0,1), (1,-1), (1,0), (1,1)
    d = {o: i for i, o in enumerate(offsets)}
    assert bg[0, d[(0, 1)], 0, 0] and not neg[0, d[(0, 1)], 0, 0]
    assert not (bg | fg | neg)[0, d[(0, 1)], 0, 1]   # with the unknown
    assert fg[0, d[(0, 1)], 1, 0]
    assert neg[0, d[(1, 0)], 0, 0] and neg[0, d[(1, 1)], 0, 0]
    assert neg[0, d[(1, -1)], 0, 1]
    assert bg[0, d[(1, 1)], 0, 1]                     # (0,1)-(1,2)
    # the bottom row's pairs leave the map (dy > 0) except along the row
    assert not (bg | fg | neg)[0, d[(1, 0)], 1].any()
    # all pairs by hand: bg (0,0)-(0,1), (0,1)-(1,2); fg (1,0)-(1,1);
    # neg (1,1)-(1,2), (0,1)-(1,0), (0,0)-(1,0), (0,1)-(1,1), (0,0)-(1,1)
    assert (int(bg.sum()), int(fg.sum()), int(neg.sum())) == (2, 1, 5)


def _dense_transition_irn(edge, radius, beta):
    """IRN's dense construction (affinity_sparse2dense +
    to_transition_matrix): symmetric A with ones on the diagonal, A^beta
    normalised over each column; a step is ``x @ T``."""
    offsets, _ = search_paths(radius)
    aff = _path_affinity_reference(edge, radius)
    h, w = edge.shape
    n = h * w
    a = np.eye(n)
    for d, (dy, dx) in enumerate(offsets):
        for y, x in itertools.product(range(h), range(w)):
            if 0 <= y + dy < h and 0 <= x + dx < w:
                p, q = y * w + x, (y + dy) * w + x + dx
                a[p, q] = a[q, p] = aff[d, y, x]
    a = a**beta
    return a / a.sum(axis=0, keepdims=True)


def test_one_step_equals_hand_computed_transition():
    # 2 x 3 map, radius 2: neighbours (0,1) (1,-1) (1,0) (1,1)
    edge = np.array([[0.0, 0.5, 0.0], [0.2, 0.0, 0.0]], np.float32)
    x = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]], np.float32)
    got = random_walk(torch.from_numpy(x)[None],
                      transition_matrix(torch.from_numpy(edge), 2, 2.0),
                      1)[0].numpy()
    # by hand, beta = 2: w(p, q) = (1 - max edge on the path)^2
    # pixel (0,0) has neighbours (0,1): 1 - .5, (1,0): 1 - .2,
    # (1,1): path (0,0)(0,1)(1,0)(1,1) -> 1 - .5; plus itself
    # x'(q) = sum_p w(p,q) x(p) / sum_p w(p,q); x is 1 at (0,0) only
    w = {  # weights of each pixel's neighbourhood (incl. itself = 1)
        (0, 0): [1, .25, .64, .25],
        (0, 1): [1, .25, .25, .25, .25, .25],   # all paths touch (0,1)
        (0, 2): [1, .25, .25, 1.0],
        (1, 0): [1, .64, .25, .64],
        (1, 1): [1, .64, 1.0, .25, .25, .25],
        (1, 2): [1, .25, 1.0, 1.0],
    }
    to_00 = {(0, 0): 1, (0, 1): .25, (1, 0): .64, (1, 1): .25}
    want = np.zeros((2, 3))
    for q, ws in w.items():
        want[q] = to_00.get(q, 0) / sum(ws)
    np.testing.assert_allclose(got, want, atol=1e-6)
    # and IRN's dense column-normalised matrix agrees
    t = _dense_transition_irn(edge, 2, 2.0)
    np.testing.assert_allclose(got.reshape(-1), x.reshape(-1) @ t, atol=1e-6)


def test_walk_equals_irn_dense_matrix_power():
    rng = np.random.default_rng(1)
    edge = (rng.random((6, 7)) * 0.6).astype(np.float32)
    cams = rng.random((2, 6, 7)).astype(np.float32)
    got = propagate(torch.from_numpy(cams), torch.from_numpy(edge), radius=3,
                    beta=4.0, exp_times=3).numpy()
    t = _dense_transition_irn(edge, 3, 4.0)
    for _ in range(3):
        t = t @ t                                        # IRN's squaring
    x = (cams * (1 - edge)).reshape(2, -1)
    np.testing.assert_allclose(got.reshape(2, -1), x @ t, rtol=1e-4,
                               atol=1e-6)


def test_seed_inside_closed_boundary_stays_inside():
    edge = torch.full((24, 24), 0.01)
    edge[5, 5:17] = edge[16, 5:17] = 1.0                 # a closed square
    edge[5:17, 5] = edge[5:17, 16] = 1.0
    seed = torch.zeros(1, 24, 24)
    seed[0, 10, 10] = 1.0
    out = propagate(seed, edge, radius=5, beta=10.0, exp_times=8)[0]
    inside = torch.zeros(24, 24, dtype=torch.bool)
    inside[6:16, 6:16] = True
    assert out[~inside].abs().max() < 1e-6
    assert out[inside].min() > 0.5 * out[inside].mean()  # spread inside
    # each step is a weighted mean: no value exceeds the seed's (1 - edge)
    assert out.max() <= 0.99 + 1e-6


def test_expand_cams_background_threshold():
    # one class: a CAM blob that the walk spreads to the closed region
    edge = torch.full((8, 8), 0.0)
    edge[1, 1:7] = edge[6, 1:7] = edge[1:7, 1] = edge[1:7, 6] = 1.0
    cams = np.zeros((1, 32, 32), np.float32)
    cams[0, 14:18, 14:18] = 1.0
    label = expand_cams(np.array([4]), cams, edge, RandomWalkSettings(),
                        stride=4)
    assert label.shape == (32, 32)
    assert set(np.unique(label)) == {0, 5}
    assert (label[10:22, 10:22] == 5).all()              # region filled
    assert (label[:3] == 0).all() and (label[:, :3] == 0).all()
    empty = expand_cams(np.zeros(0, np.int64), np.zeros((0, 32, 32)), edge,
                        RandomWalkSettings())
    assert (empty == 0).all()


def test_path_affinity_gradient_matches_amax():
    # the training path (gather at the argmax cell) gives the gradient of
    # the plain max over the path (no ties in random maps)
    torch.manual_seed(0)
    edge = torch.rand(2, 9, 11, requires_grad=True)
    weights = torch.rand(2, len(search_paths(4)[0]), 9, 11)
    (path_affinity(edge, 4) * weights).sum().backward()
    got = edge.grad.clone()
    edge.grad = None
    _, paths = search_paths(4)
    padded = torch.nn.functional.pad(edge, (3, 3, 0, 3), value=1.0)
    ref = torch.stack([
        1 - torch.stack([padded[:, cy:cy + 9, 3 + cx:3 + cx + 11]
                         for cy, cx in p], 1).amax(1) for p in paths
    ], 1)
    (ref * weights).sum().backward()
    torch.testing.assert_close(got, edge.grad)


NEEDS_CRF = 'pydensecrf2 not installed: pip install -e ".[crf]"'


def _strip_and_blob_case():
    """Left half black, right half white (16 x 24). The CAM of class 4
    (index 3) is confident (0.9) on the left but for a 3-column strip by
    the edge where it is unsure (0.2: between IRN's 0.05 and 0.30), and it
    has a confident 2 x 2 blob inside the white (background) half."""
    image = np.zeros((16, 24, 3), np.uint8)
    image[:, 12:] = 255
    cam = np.zeros((16, 24), np.float32)
    cam[:, :9] = 0.9
    cam[:, 9:12] = 0.2
    cam[6:8, 18:20] = 0.9
    return image, np.array([3]), cam[None]


def test_crf_relation_labels_hand_made():
    """IRN's label CRF (refine='crf') snaps both thresholded maps to the
    colour regions: the unsure strip joins its black region (class 4, no
    255 left) and the blob in the white region becomes background."""
    pytest.importorskip('pydensecrf.densecrf', reason=NEEDS_CRF)
    from mmwsss.expand import RelationLabelSettings
    from mmwsss.expand.irn import relation_label_of
    image, keys, cams = _strip_and_blob_case()
    plain = relation_label_of(keys, cams, RelationLabelSettings(), image)
    assert (plain[:, 9:12] == 255).all() and (plain[6:8, 18:20] == 4).all()
    got = relation_label_of(keys, cams, RelationLabelSettings(refine='crf'),
                            image)
    want = np.zeros((16, 24), np.uint8)
    want[:, :12] = 4
    np.testing.assert_array_equal(got, want)


def test_crf_relation_labels_at_half_scale():
    """crf_scale=0.5: the CRF runs on the image and maps halved (its
    spatial stds halved) and its labels come back at full size; on the
    strip-and-blob case it gives the full-size answer, and it equals
    dense_crf_label on the hand-halved inputs, upsampled by repetition."""
    pytest.importorskip('pydensecrf.densecrf', reason=NEEDS_CRF)
    from mmwsss.cam import dense_crf_label
    from mmwsss.cam.dense_crf import IRN_LABEL_CRF, dense_crf_label_scaled
    from mmwsss.expand import RelationLabelSettings
    from mmwsss.expand.irn import relation_label_of
    image, keys, cams = _strip_and_blob_case()
    got = relation_label_of(
        keys, cams, RelationLabelSettings(refine='crf', crf_scale=0.5), image)
    want = np.zeros((16, 24), np.uint8)
    want[:, :12] = 4
    np.testing.assert_array_equal(got, want)
    # against the definition, on a noisy image of 2 x 2 blocks
    g = np.random.default_rng(1)
    small = g.integers(0, 256, (10, 14, 3)).astype(np.uint8)
    small_labels = g.integers(0, 3, (10, 14))
    big = small.repeat(2, 0).repeat(2, 1)
    big_labels = small_labels.repeat(2, 0).repeat(2, 1)
    ref = dense_crf_label(
        small.transpose(2, 0, 1), small_labels, 3,
        pos_xy_std=IRN_LABEL_CRF['pos_xy_std'] / 2,
        bi_xy_std=IRN_LABEL_CRF['bi_xy_std'] / 2)
    out = dense_crf_label_scaled(big, big_labels, 3, 0.5)
    assert out.shape == (20, 28) and out.dtype == np.int64
    np.testing.assert_array_equal(out, ref.repeat(2, 0).repeat(2, 1))
    # the spatial std shrinks with the image: a 6 x 6 blob under a Gaussian
    # kernel of std 3 (a 3 x 3 blob under std 1.5 at half size) survives;
    # at half size under the unscaled std 3 it would be smoothed away
    flat = np.full((24, 32, 3), 128, np.uint8)
    blob = np.zeros((24, 32), np.int64)
    blob[8:14, 12:18] = 1
    crf = dict(gt_prob=0.9, bi_w=0, pos_xy_std=3.0)
    np.testing.assert_array_equal(
        dense_crf_label_scaled(flat, blob, 2, 0.5, **crf), blob)
    assert not dense_crf_label(flat[::2, ::2].transpose(2, 0, 1),
                               blob[::2, ::2], 2, **crf).any()
    # scale 1 is IRN's full-size CRF
    np.testing.assert_array_equal(
        dense_crf_label_scaled(big, big_labels, 3, 1.0),
        dense_crf_label(big.transpose(2, 0, 1), big_labels, 3))
    for bad in (0, 1.5):
        with pytest.raises(ValueError, match=r'scale must be in \(0, 1\]'):
            dense_crf_label_scaled(big, big_labels, 3, bad)


def test_dense_crf_label_equals_irn_crf_inference_label():
    """dense_crf_label against IRN's crf_inference_label re-stated with
    pydensecrf's own label unary (unary_from_labels, zero_unsure=False)."""
    densecrf = pytest.importorskip('pydensecrf.densecrf', reason=NEEDS_CRF)
    from pydensecrf.utils import unary_from_labels

    from mmwsss.cam import dense_crf_label
    g = np.random.default_rng(0)
    img = np.zeros((20, 30, 3), np.uint8)
    img[:, 10:20] = (200, 40, 40)
    img[12:, :] = (30, 200, 90)
    img = np.clip(img + g.integers(0, 30, img.shape), 0, 255).astype(
        np.uint8)
    labels = g.integers(0, 3, (20, 30))
    d = densecrf.DenseCRF2D(30, 20, 3)
    d.setUnaryEnergy(unary_from_labels(labels, 3, gt_prob=0.7,
                                       zero_unsure=False))
    d.addPairwiseGaussian(sxy=3, compat=3)
    d.addPairwiseBilateral(sxy=50, srgb=5, rgbim=np.ascontiguousarray(img),
                           compat=10)
    want = np.argmax(np.array(d.inference(10)).reshape(3, 20, 30), axis=0)
    got = dense_crf_label(img.transpose(2, 0, 1), labels, 3)
    np.testing.assert_array_equal(got, want)
    assert (got != labels).mean() > 0.3        # the CRF did change labels
    assert (dense_crf_label(img.transpose(2, 0, 1), labels * 0, 1) == 0).all()
    with pytest.raises(ValueError, match='labels must be in 0..1'):
        dense_crf_label(img.transpose(2, 0, 1), labels, 2)


def test_relation_labels_crf_without_pydensecrf(tmp_path, monkeypatch):
    from mmwsss.cam import dense_crf
    from mmwsss.expand import RelationLabelSettings, make_relation_labels
    monkeypatch.setattr(dense_crf, 'dense_crf_available', lambda: False)
    with pytest.raises(ImportError, match=r"pip install -e '\.\[crf\]'"):
        make_relation_labels(['a'], str(tmp_path), str(tmp_path),
                             str(tmp_path / 'o'),
                             RelationLabelSettings(refine='crf'))
    assert not (tmp_path / 'o').exists()


def test_walk_steps_scale_with_the_map():
    from mmwsss.expand.random_walk import walk_steps
    assert walk_steps(8) == 256 == walk_steps(8, 40 * 40)      # IRN
    assert walk_steps(8, 11750, ref_cells=11750) == 256
    assert walk_steps(8, 40 * 40, ref_cells=11750) == 35      # 256 * 0.136
    assert walk_steps(3, 10, ref_cells=11750) == 1
    # propagate walks that many steps
    edge = torch.zeros(6, 6)
    seed = torch.zeros(1, 6, 6)
    seed[0, 0, 0] = 1
    t = transition_matrix(edge, 2, 10.0)
    want = random_walk(seed, t, walk_steps(4, 36, ref_cells=72))
    got = propagate(seed, edge, radius=2, beta=10.0, exp_times=4,
                    ref_cells=72)
    torch.testing.assert_close(got, want)
    assert not torch.allclose(got, propagate(seed, edge, 2, 10.0, 4))


def test_irn_steps_refuse_a_cam_of_a_class_the_label_lacks(tmp_path):
    """Both IRN steps check each CAM file's classes against the image-level
    label, as the training-free methods do: nothing is written."""
    from mmwsss.expand import RelationLabelSettings, make_relation_labels
    from mmwsss.utils.io import save_cam_npz
    cams = np.zeros((1, 8, 8), np.float32)
    cams[0, 2:6, 2:6] = 1
    save_cam_npz(str(tmp_path / 'a.npz'), np.array([3]), cams)

    def label_keys(img_id):        # the label holds class 1 only
        return np.array([1]), 'cls_labels.npy'

    out = tmp_path / 'rel'
    with pytest.raises(ValueError, match=r"a\.npz: CAM\(s\) of class "
                       r"index\(es\) \[3\] that the image-level label does "
                       r"not hold .*cls_labels\.npy"):
        make_relation_labels(['a'], str(tmp_path), str(tmp_path), str(out),
                             RelationLabelSettings(refine='none'),
                             label_keys=label_keys)
    assert not (out / 'a.png').exists()
    # the same CAM with a label that holds its class is made into a label
    make_relation_labels(['a'], str(tmp_path), str(tmp_path), str(out),
                         RelationLabelSettings(refine='none'),
                         label_keys=lambda i: (np.array([1, 3]), None))
    assert (out / 'a.png').exists()
