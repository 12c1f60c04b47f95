"""CAM classification head (stage 1): paper eqs. 1-2."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models.heads import MultiLabelClsHead
from mmpretrain.registry import MODELS
from mmpretrain.structures import label_to_onehot

from mmwsss.cam import class_activation, normalize_cams


@MODELS.register_module()
class CAMHead(MultiLabelClsHead):
    """Multi-label head whose class maps are the CAMs.

    A bias-free 1x1 conv classifier ``W`` over the last feature map, global
    average pooling, sigmoid BCE averaged over the batch *and* the C classes
    (eq. 1; IRN's ``F.multilabel_soft_margin_loss``). Because the pooling
    and the classifier are both linear, ``GAP(W * X) = W * GAP(X)``; the
    logits are computed on pooled features and :meth:`cam_logits` applies
    the same ``W`` at every position (eq. 2 before ``ReLU / max``).
    Use with mmpretrain's ``ImageClassifier`` and no neck, so that any
    backbone whose last output is a feature map works.

    Args:
        num_classes (int): foreground classes (VOC: 20).
        in_channels (int): channels of the last feature map.
        loss (dict): sigmoid BCE by default. Whatever the loss, it is
            averaged over B x C elements (``avg_factor=B*C``), not over
            the batch only as in mmpretrain's ``MultiLabelClsHead``: with
            the default loss this is exactly
            ``F.multilabel_soft_margin_loss`` (paper eq. 1, IRN).
        thr (float, optional): score threshold for ``pred_label``.
        topk (int, optional): top-k alternative to ``thr``.
    """

    def __init__(self, num_classes, in_channels,
                 loss=dict(type='CrossEntropyLoss', use_sigmoid=True),
                 thr=None, topk=None,
                 init_cfg=dict(type='Normal', layer='Conv2d', std=0.01)):
        super().__init__(loss=loss, thr=thr, topk=topk, init_cfg=init_cfg)
        if num_classes <= 0:
            raise ValueError(f'num_classes={num_classes} must be positive')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.classifier = nn.Conv2d(in_channels, num_classes, 1, bias=False)

    def _get_loss(self, cls_score, data_samples, **kwargs):
        """Eq. 1: the per-element loss averaged over the B x C logits."""
        num_classes = cls_score.size(-1)
        if 'gt_score' in data_samples[0]:
            target = torch.stack([s.gt_score.float() for s in data_samples])
        else:
            target = torch.stack([
                label_to_onehot(s.gt_label, num_classes)
                for s in data_samples]).float()
        loss = self.loss_module(cls_score, target,
                                avg_factor=cls_score.numel(), **kwargs)
        return dict(loss=loss)

    def pre_logits(self, feats):
        """The last feature map (B x D x h x w)."""
        x = feats[-1] if isinstance(feats, (tuple, list)) else feats
        if x.dim() != 4:
            raise ValueError('CAMHead needs a spatial feature map B x D x h '
                             f'x w; got shape {tuple(x.shape)} (remove the '
                             'global pooling neck)')
        return x

    def forward(self, feats):
        """Image-level logits: ``W * GAP(X)`` (B x C)."""
        x = F.adaptive_avg_pool2d(self.pre_logits(feats), 1)
        return self.classifier(x).flatten(1)

    def cam_logits(self, feats):
        """Raw class maps ``F = W * X`` (B x C x h x w), before ReLU."""
        return class_activation(self.pre_logits(feats), self.classifier.weight)

    @torch.no_grad()
    def cams(self, feats):
        """Normalised CAMs ``ReLU(F^c) / max ReLU(F^c)`` (B x C x h x w)."""
        return normalize_cams(self.cam_logits(feats))
