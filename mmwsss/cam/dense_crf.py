"""Fully connected CRF (Kraehenbuehl & Koltun, NIPS 2011) on class score
maps: an optional refinement of CAM pseudo-labels (``refine='crf'``, the
same call shape as :func:`mmwsss.cam.pixel_adaptive_refine`) and the
test-time post-processing of the segmenters (``CRFEncoderDecoder``,
``CRFSegTTAModel``).

Needs ``pydensecrf2`` (``pip install -e '.[crf]'``; it builds from source
with a C++ compiler). Without it, :func:`dense_crf_refine` raises an
``ImportError`` that says so; nothing else in mmwsss needs it.

Defaults are DeepLab's, as in kazuto1011/deeplab-pytorch's
``configs/voc12.yaml``: 10 mean-field iterations, a Gaussian (smoothness)
kernel of weight 3 and spatial std 1, a bilateral (appearance) kernel of
weight 4, spatial std 67 and colour std 3 (RGB, 0..255).

:func:`dense_crf_label` is IRN's label CRF (``misc/imutils.py:
crf_inference_label`` in the code of "Weakly Supervised Learning of
Instance Segmentation with Inter-pixel Relations"), which smooths the two
thresholded CAM label maps before the relation labels are combined: a hard
label map as the unary (probability ``gt_prob`` = 0.7 for the given label,
the rest shared by the others), a Gaussian kernel of spatial std 3 and
weight 3, a bilateral kernel of spatial std 50, colour std 5 and weight 10,
10 iterations, then the argmax.
"""
import numpy as np

CRF_EXTRA = "pip install -e '.[crf]'  (installs pydensecrf2)"
DEFAULT_CRF = dict(num_iter=10, pos_w=3.0, pos_xy_std=1.0, bi_w=4.0,
                   bi_xy_std=67.0, bi_rgb_std=3.0)
#: IRN's label CRF (``imutils.crf_inference_label``)
IRN_LABEL_CRF = dict(num_iter=10, gt_prob=0.7, pos_w=3.0, pos_xy_std=3.0,
                     bi_w=10.0, bi_xy_std=50.0, bi_rgb_std=5.0)


def dense_crf_available():
    try:
        import pydensecrf.densecrf  # noqa: F401
    except ImportError:
        return False
    return True


def _densecrf():
    try:
        import pydensecrf.densecrf as dcrf
        from pydensecrf.utils import unary_from_softmax
    except ImportError as err:
        raise ImportError(
            f'dense CRF needs pydensecrf2, which is not installed: '
            f'{CRF_EXTRA}') from err
    return dcrf, unary_from_softmax


def dense_crf_refine(image, scores, num_iter=DEFAULT_CRF['num_iter'],
                     pos_w=DEFAULT_CRF['pos_w'],
                     pos_xy_std=DEFAULT_CRF['pos_xy_std'],
                     bi_w=DEFAULT_CRF['bi_w'],
                     bi_xy_std=DEFAULT_CRF['bi_xy_std'],
                     bi_rgb_std=DEFAULT_CRF['bi_rgb_std']):
    """Refine score maps with a dense CRF.

    Args:
        image: 3 x H x W RGB, 0..255 (torch tensor or numpy array).
        scores: P x H x W non-negative scores (e.g. background plane +
            CAMs, or softmax probabilities), at the image's size. Each
            pixel's scores are normalised to probabilities (sum 1) and
            their negative logs are the unary potentials.
        num_iter (int): mean-field iterations.

    Returns:
        the marginals Q (P x H x W, each pixel sums to 1), of the type of
        ``scores`` (tensor or array).
    """
    dcrf, unary_from_softmax = _densecrf()
    is_tensor = hasattr(scores, 'detach')
    probs = (scores.detach().cpu().numpy() if is_tensor else
             np.asarray(scores)).astype(np.float32)
    img = image.detach().cpu().numpy() if hasattr(image, 'detach') else \
        np.asarray(image)
    if probs.ndim != 3 or img.ndim != 3 or img.shape[0] != 3:
        raise ValueError(f'expected image 3 x H x W and scores P x H x W, '
                         f'got {img.shape} and {probs.shape}')
    if img.shape[1:] != probs.shape[1:]:
        raise ValueError(f'image {img.shape[1:]} and scores '
                         f'{probs.shape[1:]} differ in size')
    probs = np.clip(probs, 1e-8, None)
    probs /= probs.sum(axis=0, keepdims=True)
    q = _mean_field(dcrf, img, unary_from_softmax(probs), num_iter, pos_w,
                    pos_xy_std, bi_w, bi_xy_std, bi_rgb_std)
    if is_tensor:
        import torch
        return torch.from_numpy(q).to(scores.device)
    return q


def _mean_field(dcrf, img, unary, num_iter, pos_w, pos_xy_std, bi_w,
                bi_xy_std, bi_rgb_std):
    """Marginals (P x H x W) of the CRF with ``unary`` (P x H*W energies)
    on the image ``img`` (3 x H x W, 0..255)."""
    height, width = img.shape[1:]
    n_labels = unary.shape[0]
    crf = dcrf.DenseCRF2D(width, height, n_labels)
    crf.setUnaryEnergy(np.ascontiguousarray(unary, dtype=np.float32))
    if pos_w > 0:
        crf.addPairwiseGaussian(sxy=pos_xy_std, compat=pos_w)
    if bi_w > 0:
        rgb = np.ascontiguousarray(
            np.clip(img.transpose(1, 2, 0), 0, 255).astype(np.uint8))
        crf.addPairwiseBilateral(sxy=bi_xy_std, srgb=bi_rgb_std, rgbim=rgb,
                                 compat=bi_w)
    q = np.array(crf.inference(num_iter), dtype=np.float32)
    return q.reshape(n_labels, height, width)


def dense_crf_label(image, labels, n_labels,
                    num_iter=IRN_LABEL_CRF['num_iter'],
                    gt_prob=IRN_LABEL_CRF['gt_prob'],
                    pos_w=IRN_LABEL_CRF['pos_w'],
                    pos_xy_std=IRN_LABEL_CRF['pos_xy_std'],
                    bi_w=IRN_LABEL_CRF['bi_w'],
                    bi_xy_std=IRN_LABEL_CRF['bi_xy_std'],
                    bi_rgb_std=IRN_LABEL_CRF['bi_rgb_std']):
    """Smooth a label map with a dense CRF (IRN's label CRF by default).

    Args:
        image: 3 x H x W RGB, 0..255 (numpy array).
        labels: H x W integer labels in ``0 .. n_labels - 1``.
        n_labels (int): number of labels.
        gt_prob (float): unary probability of a pixel's given label; the
            other ``n_labels - 1`` labels share ``1 - gt_prob``.

    Returns:
        ndarray: H x W int64, the argmax of the marginals.
    """
    labels = np.asarray(labels)
    img = np.asarray(image)
    if labels.ndim != 2 or img.ndim != 3 or img.shape[0] != 3 or \
            img.shape[1:] != labels.shape:
        raise ValueError(f'expected image 3 x H x W and labels H x W of the '
                         f'same size, got {img.shape} and {labels.shape}')
    if labels.size and (labels.min() < 0 or labels.max() >= n_labels):
        raise ValueError(f'labels must be in 0..{n_labels - 1}, got '
                         f'{labels.min()}..{labels.max()}')
    if not 0 < gt_prob < 1:
        raise ValueError(f'gt_prob must be in (0, 1), got {gt_prob}')
    if n_labels < 2:
        return np.zeros(labels.shape, np.int64)
    dcrf, _ = _densecrf()
    unary = np.full((n_labels, labels.size),
                    -np.log((1 - gt_prob) / (n_labels - 1)), np.float32)
    unary[labels.reshape(-1), np.arange(labels.size)] = -np.log(gt_prob)
    q = _mean_field(dcrf, img, unary, num_iter, pos_w, pos_xy_std, bi_w,
                    bi_xy_std, bi_rgb_std)
    return np.argmax(q, axis=0)


def dense_crf_label_scaled(image, labels, n_labels, scale=1.0, **crf):
    """:func:`dense_crf_label` run at a reduced image scale, to cut its cost
    (mean-field time grows with the pixel count).

    The image (H x W x 3 RGB, 0..255) is resized by ``scale`` with area
    averaging and the labels with nearest neighbours; the CRF's spatial
    stds (``pos_xy_std``, ``bi_xy_std``, IRN's by default) are multiplied
    by ``scale``, so that its kernels cover the same part of the picture;
    the argmax is resized back to H x W with nearest neighbours.
    ``scale=1`` is :func:`dense_crf_label` itself.

    Returns:
        ndarray: H x W int64 labels.
    """
    import cv2
    img = np.asarray(image)
    labels = np.asarray(labels)
    if img.ndim != 3 or img.shape[2] != 3 or img.shape[:2] != labels.shape:
        raise ValueError(f'expected image H x W x 3 and labels H x W of the '
                         f'same size, got {img.shape} and {labels.shape}')
    if not 0 < scale <= 1:
        raise ValueError(f'scale must be in (0, 1], got {scale}')
    if scale == 1:
        return dense_crf_label(np.ascontiguousarray(img.transpose(2, 0, 1)),
                               labels, n_labels, **crf)
    height, width = labels.shape
    size = (max(1, int(round(width * scale))),
            max(1, int(round(height * scale))))
    small = cv2.resize(np.ascontiguousarray(img, dtype=np.uint8), size,
                       interpolation=cv2.INTER_AREA)
    small_labels = cv2.resize(labels.astype(np.int32), size,
                              interpolation=cv2.INTER_NEAREST)
    for key in ('pos_xy_std', 'bi_xy_std'):
        crf[key] = crf.get(key, IRN_LABEL_CRF[key]) * scale
    out = dense_crf_label(np.ascontiguousarray(small.transpose(2, 0, 1)),
                          small_labels, n_labels, **crf)
    return cv2.resize(out.astype(np.int32), (width, height),
                      interpolation=cv2.INTER_NEAREST).astype(np.int64)
