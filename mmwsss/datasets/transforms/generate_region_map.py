"""Unsupervised image regions for the optional region supervision.

The paper adds a "NAMLab" module (a non-symmetry anti-packing region
segmentation in L*a*b* space) to sharpen RGB edges. NAMLab has no Linux/pip
implementation, so this transform is a *stand-in* built on scikit-image's
graph-based (Felzenszwalb) or SLIC superpixels: it gives regions of uniform
colour that the ``RegionConsistencyLoss`` asks the saliency map to respect.
It is off by default (no config of the project enables it).
"""
import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class GenerateRegionMap(BaseTransform):
    """``gt_region_map``: int32 region ids (0..R-1) of ``img``.

    Put it after the geometric and before the photometric transforms, and
    pack with ``PackSODInputs``.

    Args:
        method (str): 'felzenszwalb' (default) or 'slic'.
        scale, sigma, min_size: Felzenszwalb parameters.
        n_segments, compactness: SLIC parameters.
    """

    def __init__(self, method='felzenszwalb', scale=100.0, sigma=0.8,
                 min_size=20, n_segments=200, compactness=10.0):
        super().__init__()
        if method not in ('felzenszwalb', 'slic'):
            raise ValueError(f'unknown region method {method!r}')
        self.method = method
        self.kwargs = (dict(scale=scale, sigma=sigma, min_size=min_size)
                       if method == 'felzenszwalb' else
                       dict(n_segments=n_segments, compactness=compactness,
                            start_label=0))

    def transform(self, results):
        from skimage import segmentation
        img = np.ascontiguousarray(results['img'][..., ::-1])  # BGR -> RGB
        fn = getattr(segmentation, self.method)
        results['gt_region_map'] = fn(img, **self.kwargs).astype(np.int32)
        return results

    def __repr__(self):
        return f'{self.__class__.__name__}(method={self.method!r}, ' \
               f'{self.kwargs})'
