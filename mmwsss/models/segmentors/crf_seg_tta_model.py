"""mmseg's ``SegTTAModel`` (multi-scale + flip) with a choice of how the
augmented predictions are merged and an optional dense CRF on the merged
probabilities (see :mod:`mmwsss.models.segmentors.crf_encoder_decoder`).

Merges (``merge``):

* ``'mean_prob'`` (default, mmseg's): the mean of the softmax of every
  augmented prediction.
* ``'sum_logits'``: the softmax of the sum of the logits, as Puzzle-CAM's
  and RS+EPM's ``inference_segmentation.py`` (lines 135 and 161-162 of
  shjo-april/PuzzleCAM).
* ``'max_logits'``: the softmax of the pixel-wise max of the logits, as
  deeplab-pytorch's ``MSC`` at test time (``libs/models/msc.py`` lines
  40-47 of kazuto1011/deeplab-pytorch; it runs scales 1, 0.75 and 0.5,
  no flip).

Each augmented prediction is first brought back to the original image
(size, flip) by the wrapped segmentor, as in mmseg.
"""
import torch
from mmengine.structures import PixelData
from mmseg.models.segmentors import SegTTAModel
from mmseg.registry import MODELS

from .crf_encoder_decoder import crf_predict, crf_settings

MERGES = ('mean_prob', 'sum_logits', 'max_logits')


def merge_probs(logits, merge='mean_prob'):
    """Class probabilities (C x H x W) from the logits of every
    augmentation (a sequence of C x H x W tensors)."""
    if merge not in MERGES:
        raise ValueError(f'merge must be one of {MERGES}, got {merge!r}')
    stack = torch.stack(list(logits))
    if merge == 'mean_prob':
        return stack.softmax(dim=1).mean(dim=0)
    if merge == 'sum_logits':
        return stack.sum(dim=0).softmax(dim=0)
    return stack.max(dim=0)[0].softmax(dim=0)


@MODELS.register_module()
class CRFSegTTAModel(SegTTAModel):
    """``SegTTAModel`` with a choice of merge + optional dense CRF after it.

    Args:
        crf (dict, optional): ``enabled`` and the keyword arguments of
            :func:`mmwsss.cam.dense_crf_refine`.
        merge (str): 'mean_prob' (mmseg's), 'sum_logits' (Puzzle-CAM /
            RS+EPM) or 'max_logits' (deeplab-pytorch's MSC).
    """

    def __init__(self, crf=None, merge='mean_prob', **kwargs):
        super().__init__(**kwargs)
        if merge not in MERGES:
            raise ValueError(f'merge must be one of {MERGES}, got {merge!r}')
        self.merge = merge
        self.crf_enabled, self.crf_kwargs = crf_settings(crf)

    def merge_preds(self, data_samples_list):
        if self.module.out_channels == 1:
            return super().merge_preds(data_samples_list)
        predictions = []
        for augs in data_samples_list:
            probs = merge_probs([s.seg_logits.data for s in augs],
                                self.merge)
            if self.crf_enabled:
                pred = crf_predict(probs, augs[0], self.crf_kwargs)[0]
            else:
                pred = probs.argmax(dim=0)
            sample = augs[-1]
            sample.set_data(dict(pred_sem_seg=PixelData(data=pred)))
            if hasattr(augs[0], 'gt_sem_seg'):
                sample.set_data(dict(gt_sem_seg=augs[0].gt_sem_seg))
            sample.set_metainfo(dict(img_path=augs[0].img_path))
            predictions.append(sample)
        return predictions
