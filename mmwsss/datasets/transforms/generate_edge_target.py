"""Edge target of a binary saliency mask, for edge supervision."""
import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class GenerateEdgeTarget(BaseTransform):
    """``gt_edge_map``: the pixels within ``radius`` of the boundary of the
    salient region of ``gt_seg_map`` ({0, 1}), i.e. the morphological
    gradient ``dilate(fg) - erode(fg)`` with an elliptic kernel of size
    ``2 * radius + 1``: a band ``2 * radius`` pixels wide, half inside and
    half outside the object.

    Put it after the geometric transforms (crop, resize, flip) so that the
    band has the width asked for at the training resolution; ``PackSegInputs``
    packs ``gt_edge_map`` into the data sample. Pixels where the mask is
    ``ignore_index`` are ``ignore_index`` in the edge map too.

    Required keys: ``gt_seg_map``. Added keys: ``gt_edge_map`` (uint8 {0, 1}
    or ``ignore_index``).

    Args:
        radius (int): half width of the band in pixels. Default 1.
        ignore_index (int): Default 255.
    """

    def __init__(self, radius=1, ignore_index=255):
        super().__init__()
        if radius < 1:
            raise ValueError(f'radius must be >= 1, got {radius}')
        self.radius = radius
        self.ignore_index = ignore_index

    def transform(self, results):
        mask = np.asarray(results['gt_seg_map'])
        fg = (mask == 1).astype(np.uint8)
        size = 2 * self.radius + 1
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
        edge = (cv2.dilate(fg, kernel) != cv2.erode(fg, kernel))
        edge = edge.astype(np.uint8)
        edge[mask == self.ignore_index] = self.ignore_index
        results['gt_edge_map'] = edge
        return results

    def __repr__(self):
        return (f'{self.__class__.__name__}(radius={self.radius}, '
                f'ignore_index={self.ignore_index})')
