"""mmseg's ``SegTTAModel`` (multi-scale + flip average of the softmax) with
an optional dense CRF on the averaged probabilities (see
:mod:`mmwsss.models.segmentors.crf_encoder_decoder`)."""
from mmengine.structures import PixelData
from mmseg.models.segmentors import SegTTAModel
from mmseg.registry import MODELS

from .crf_encoder_decoder import crf_predict, crf_settings


@MODELS.register_module()
class CRFSegTTAModel(SegTTAModel):
    """``SegTTAModel`` + optional dense CRF after the merge.

    Args:
        crf (dict, optional): ``enabled`` and the keyword arguments of
            :func:`mmwsss.cam.dense_crf_refine`.
    """

    def __init__(self, crf=None, **kwargs):
        super().__init__(**kwargs)
        self.crf_enabled, self.crf_kwargs = crf_settings(crf)

    def merge_preds(self, data_samples_list):
        merged = super().merge_preds(data_samples_list)
        if not self.crf_enabled or self.module.out_channels == 1:
            return merged
        for sample, augs in zip(merged, data_samples_list):
            probs = sum(s.seg_logits.data.softmax(dim=0) for s in augs)
            probs = probs / len(augs)
            sample.set_data(dict(pred_sem_seg=PixelData(
                data=crf_predict(probs, augs[0], self.crf_kwargs)[0])))
        return merged
