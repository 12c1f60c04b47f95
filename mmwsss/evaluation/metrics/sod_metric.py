"""SOD metrics (MAE, F-measure, S-measure, E-measure) as an mmseg metric."""
from collections import OrderedDict

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from mmseg.registry import METRICS

from ..functional.sod_metrics import (aggregate_sod_stats, prepare_sod_inputs,
                                      sod_image_stats)


@METRICS.register_module()
class SODMetric(BaseMetric):
    """Salient object detection metrics of a binary segmentor.

    The saliency probability of each image is read from ``seg_logits``
    (mmseg stores sigmoid probabilities there for single-channel heads; a
    two-channel head is converted with a softmax) at the original image size,
    the mask from ``gt_sem_seg`` ({0, 1}; see ``BinarizeMask``). By default
    the map is evaluated as the toolboxes evaluate saved PNGs: quantised to
    uint8 and min-max stretched (``minmax=True``), so the numbers equal those
    of ``pysodmetrics`` on the maps that ``tools/run_saliency.py`` writes.

    Reported (fractions, as in the SOD literature): ``MAE``, ``maxFm``,
    ``meanFm``, ``adpFm`` (beta^2 = ``beta2``), ``Sm`` (``alpha``),
    ``maxEm``, ``meanEm``, ``adpEm``.

    Args:
        beta2 (float): beta^2 of the F-measure. Default 0.3.
        alpha (float): object/region balance of the S-measure. Default 0.5.
        minmax (bool): min-max stretch each map before evaluation.
        ignore_index (int): gt value treated as background in the SOD
            metrics (they have no ignore region); any other value outside
            {0, 1} is an error.
    """
    default_prefix = None

    def __init__(self, beta2=0.3, alpha=0.5, minmax=True, ignore_index=255,
                 collect_device='cpu', prefix=None, **kwargs):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.beta2 = beta2
        self.alpha = alpha
        self.minmax = minmax
        self.ignore_index = ignore_index

    @staticmethod
    def saliency_probability(seg_logits):
        """(C, H, W) tensor from ``seg_logits`` -> H x W float numpy in
        [0, 1]: the map itself when C == 1, softmax channel 1 when C == 2."""
        if seg_logits.shape[0] == 1:
            prob = seg_logits[0]
        elif seg_logits.shape[0] == 2:
            prob = torch.softmax(seg_logits.float(), dim=0)[1]
        else:
            raise ValueError('SODMetric needs a binary segmentor (1 or 2 '
                             f'output channels), got {seg_logits.shape[0]}')
        return prob.float().clamp(0, 1).cpu().numpy()

    def process(self, data_batch, data_samples):
        for sample in data_samples:
            prob = self.saliency_probability(sample['seg_logits']['data'])
            gt = sample['gt_sem_seg']['data'].squeeze(0).cpu().numpy()
            bad = (gt != 0) & (gt != 1) & (gt != self.ignore_index)
            if bad.any():
                raise ValueError(
                    f'{sample.get("seg_map_path", sample.get("img_path"))}: '
                    'SOD masks must be binary {0, 1} in the pipeline (add '
                    f'BinarizeMask), found values {np.unique(gt[bad])[:5]}')
            if prob.shape != gt.shape:
                raise ValueError(
                    f'{sample.get("img_path")}: prediction {prob.shape} and '
                    f'mask {gt.shape} differ in size')
            gt = gt == 1
            if self.minmax:
                pred, gt = prepare_sod_inputs(
                    np.round(prob * 255).astype(np.uint8),
                    gt.astype(np.uint8) * 255, normalize=True)
            else:
                pred, gt = prepare_sod_inputs(prob, gt, normalize=False)
            self.results.append(
                sod_image_stats(pred, gt, beta2=self.beta2, alpha=self.alpha))

    def compute_metrics(self, results):
        logger = MMLogger.get_current_instance()
        metrics = aggregate_sod_stats(results)
        lines = [f'SOD metrics over {len(results)} images '
                 f'(beta^2={self.beta2}, alpha={self.alpha}, '
                 f'minmax={self.minmax}):']
        lines += [f'  {k:>7s}: {v:.4f}' for k, v in metrics.items()]
        print_log('\n'.join(lines), logger=logger)
        return OrderedDict(metrics)
