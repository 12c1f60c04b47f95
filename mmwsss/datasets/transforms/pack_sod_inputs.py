"""``PackSegInputs`` that also packs the region map of the region
supervision stand-in."""
import numpy as np
import torch
from mmengine.structures import PixelData
from mmseg.datasets.transforms import PackSegInputs
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackSODInputs(PackSegInputs):
    """mmseg's ``PackSegInputs`` plus ``gt_region_map`` (from
    ``GenerateRegionMap``) as a ``PixelData`` field of the data sample."""

    def transform(self, results):
        packed = super().transform(results)
        if 'gt_region_map' in results:
            region = np.asarray(results['gt_region_map'], dtype=np.int64)
            packed['data_samples'].set_data(dict(
                gt_region_map=PixelData(data=torch.from_numpy(region[None]))))
        return packed
