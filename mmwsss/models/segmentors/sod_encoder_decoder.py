"""Encoder-decoder segmentor for salient object detection."""
import torch
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS


@MODELS.register_module()
class SODEncoderDecoder(EncoderDecoder):
    """An mmseg ``EncoderDecoder`` whose decode head predicts one saliency
    channel.

    ``predict`` returns, per image at its original size, the saliency
    probability (sigmoid) in ``seg_logits`` and the mask
    ``probability > decode_head.threshold`` in ``pred_sem_seg``, which is
    what ``SODMetric`` and ``tools/make_saliency.py`` read. ``test_cfg``
    accepts, besides mmseg's ``mode='whole'|'slide'``, ``flip=True`` to
    average the logits of the image and its horizontal mirror (a common SOD
    test-time augmentation).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.decode_head.out_channels != 1:
            raise ValueError(
                'SODEncoderDecoder needs a single-channel decode head '
                '(num_classes=2, out_channels=1), got out_channels='
                f'{self.decode_head.out_channels}')

    def inference(self, inputs, batch_img_metas):
        logits = super().inference(inputs, batch_img_metas)
        if self.test_cfg.get('flip', False):
            flipped = super().inference(inputs.flip(-1), batch_img_metas)
            logits = (logits + flipped.flip(-1)) / 2
        return logits

    @torch.no_grad()
    def predict_saliency(self, inputs, batch_img_metas=None):
        """Saliency probabilities (N, 1, H, W) at the size of ``inputs``
        (already normalised by the data preprocessor)."""
        if batch_img_metas is None:
            shape = tuple(inputs.shape[2:])
            batch_img_metas = [
                dict(ori_shape=shape, img_shape=shape, pad_shape=shape,
                     padding_size=[0, 0, 0, 0])
            ] * inputs.shape[0]
        return self.inference(inputs, batch_img_metas).sigmoid()
