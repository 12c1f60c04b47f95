"""Binarise a saliency mask into {0, 1} labels."""
import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class BinarizeMask(BaseTransform):
    """Turn a grey mask (0..255, anti-aliased) into labels {0, 1}.

    ``gt_seg_map > threshold`` becomes 1 (salient), the rest 0. A mask that
    already holds only {0, 1} is kept as it is (a 0/1 PNG would otherwise
    become all background). ``keep_ignore`` keeps pixels equal to
    ``ignore_index`` (none in DUTS-style masks, whose 255 means salient).

    Required keys: ``gt_seg_map``. Modified keys: ``gt_seg_map`` (uint8).

    Args:
        threshold (int): grey level above which a pixel is salient.
            Default 128 (the toolboxes' ``gt > 128``).
        keep_ignore (bool): keep ``ignore_index`` pixels. Default False.
        ignore_index (int): Default 255.
    """

    def __init__(self, threshold=128, keep_ignore=False, ignore_index=255):
        super().__init__()
        self.threshold = threshold
        self.keep_ignore = keep_ignore
        self.ignore_index = ignore_index

    def transform(self, results):
        mask = np.asarray(results['gt_seg_map'])
        if mask.ndim == 3:
            raise ValueError(f'{results.get("seg_map_path")}: a saliency mask '
                             f'must be single-channel, got shape {mask.shape}')
        if mask.size and mask.max() <= 1:
            binary = mask.astype(np.uint8)
        else:
            binary = (mask > self.threshold).astype(np.uint8)
            if self.keep_ignore:
                binary[mask == self.ignore_index] = self.ignore_index
        results['gt_seg_map'] = binary
        return results

    def __repr__(self):
        return (f'{self.__class__.__name__}(threshold={self.threshold}, '
                f'keep_ignore={self.keep_ignore})')
