"""Encoder-decoder segmentor for salient object detection."""
import copy
import inspect

import torch
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS


def edge_head_cfg(neck, decode_head):
    """``decode_head`` with ``edge_channels`` taken from an edge-aware
    ``neck`` config (a copy; other necks leave it unchanged)."""
    from ..necks import EdgeAwareNeck
    if not isinstance(neck, dict) or not isinstance(decode_head, dict):
        return decode_head
    neck_type = neck.get('type')
    neck_cls = (MODELS.get(neck_type) if isinstance(neck_type, str)
                else neck_type)
    if not (isinstance(neck_cls, type) and issubclass(neck_cls,
                                                      EdgeAwareNeck)):
        return decode_head
    defaults = inspect.signature(neck_cls).parameters
    with_edge = neck.get('with_edge', defaults['with_edge'].default)
    width = (neck.get('edge_channels', defaults['edge_channels'].default)
             if with_edge else None)
    given = decode_head.get('edge_channels')
    if given is not None and given != width:
        raise ValueError(
            f'decode_head.edge_channels={given} does not match the neck '
            f'(with_edge={with_edge}, edge_channels='
            f'{neck.get("edge_channels")}); leave it out of the head, '
            'SODEncoderDecoder takes it from the neck')
    decode_head = copy.deepcopy(decode_head)
    decode_head['edge_channels'] = width
    return decode_head


@MODELS.register_module()
class SODEncoderDecoder(EncoderDecoder):
    """An mmseg ``EncoderDecoder`` whose decode head predicts one saliency
    channel.

    ``predict`` returns, per image at its original size, the saliency
    probability (sigmoid) in ``seg_logits`` and the mask
    ``probability > decode_head.threshold`` in ``pred_sem_seg``, which is
    what ``SODMetric`` and ``tools/run_saliency.py`` read. ``test_cfg``
    accepts, besides mmseg's ``mode='whole'|'slide'``, ``flip=True`` to
    average the logits of the image and its horizontal mirror (a common SOD
    test-time augmentation).

    With an edge-aware neck (``EdgeAwareNeck``), the decode head is built to
    match the neck's edge branch: its ``edge_channels`` is the neck's when
    ``neck.with_edge`` and ``None`` otherwise, so ``model.neck.with_edge``
    alone switches the edge branch (and its loss) on or off.
    """

    def __init__(self, backbone, decode_head, neck=None, **kwargs):
        decode_head = edge_head_cfg(neck, decode_head)
        super().__init__(backbone, decode_head, neck=neck, **kwargs)
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
