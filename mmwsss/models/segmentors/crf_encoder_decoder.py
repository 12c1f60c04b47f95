"""mmseg's ``EncoderDecoder`` with an optional dense CRF at test time.

``crf=dict(enabled=True, ...)`` runs :func:`mmwsss.cam.dense_crf_refine`
on each image's softmax at the original size, with the original image read
from ``img_path``, and replaces ``pred_sem_seg`` by the CRF's argmax
(``seg_logits`` keep the network's scores). Off by default; switch it on
from the command line, e.g.
``--cfg-options model.crf.enabled=True`` (single scale) or
``tta_model.crf.enabled=True`` (with ``--tta``, :class:`CRFSegTTAModel`:
after the multi-scale + flip average). Training is unchanged.
"""
import mmcv
import torch
from mmengine.structures import PixelData
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS

from mmwsss.cam.dense_crf import DEFAULT_CRF, dense_crf_refine


def crf_settings(crf):
    """``(enabled, kwargs of dense_crf_refine)`` from a ``crf`` dict."""
    crf = dict(crf or {})
    enabled = bool(crf.pop('enabled', False))
    unknown = set(crf) - set(DEFAULT_CRF)
    if unknown:
        raise ValueError(f'unknown crf keys {sorted(unknown)}; known: '
                         f"'enabled', {sorted(DEFAULT_CRF)}")
    return enabled, {**DEFAULT_CRF, **crf}


def crf_predict(probs, data_sample, crf_kwargs):
    """CRF label map (1 x H x W long) of softmax ``probs`` (C x H x W) at
    the original size of ``data_sample``'s image."""
    img_path = data_sample.metainfo.get('img_path')
    if img_path is None:
        raise ValueError('dense CRF post-processing needs the image: the '
                         'data sample has no img_path')
    image = mmcv.imread(img_path, channel_order='rgb')
    if image is None:
        raise FileNotFoundError(f'{img_path}: cannot read the image for the '
                                'dense CRF')
    if image.shape[:2] != tuple(probs.shape[-2:]):
        raise ValueError(f'{img_path}: image {image.shape[:2]} differs from '
                         f'the prediction {tuple(probs.shape[-2:])}')
    q = dense_crf_refine(torch.from_numpy(image.transpose(2, 0, 1)),
                         probs.float(), **crf_kwargs)
    return q.argmax(dim=0, keepdim=True).to(probs.device)


@MODELS.register_module()
class CRFEncoderDecoder(EncoderDecoder):
    """``EncoderDecoder`` + optional test-time dense CRF.

    Args:
        crf (dict, optional): ``enabled`` (bool, default False) and the
            keyword arguments of :func:`mmwsss.cam.dense_crf_refine`
            (defaults: DeepLab's).
        **kwargs: the arguments of mmseg's ``EncoderDecoder``.
    """

    def __init__(self, crf=None, **kwargs):
        super().__init__(**kwargs)
        self.crf_enabled, self.crf_kwargs = crf_settings(crf)

    def postprocess_result(self, seg_logits, data_samples=None):
        data_samples = super().postprocess_result(seg_logits, data_samples)
        if not self.crf_enabled or self.out_channels == 1:
            return data_samples
        for sample in data_samples:
            probs = sample.seg_logits.data.softmax(dim=0)
            sample.set_data(dict(pred_sem_seg=PixelData(
                data=crf_predict(probs, sample, self.crf_kwargs))))
        return data_samples
