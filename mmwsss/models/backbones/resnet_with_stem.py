"""mmseg's ResNet that also returns its stem: the five inputs of IRN's
class-boundary branch.

`Weakly Supervised Learning of Instance Segmentation with Inter-pixel
Relations` (``net/resnet50_irn.py``) feeds ``fc_edge1`` with the output of
its stage 1 (conv1, BN, ReLU, max-pool: 64 channels at stride 4) and
``fc_edge2..5`` with the four residual stages. mmseg's ``ResNet`` returns
only the residual stages; :class:`ResNetWithStem` returns the stem output
(after the max-pool) first, then the stages of ``out_indices``. Same
parameters as ``ResNet`` (a ResNet checkpoint loads as it is); the stem is
frozen with ``frozen_stages >= 0``, as IRN detaches it.
"""
from mmseg.models.backbones import ResNet
from mmseg.registry import MODELS


@MODELS.register_module()
class ResNetWithStem(ResNet):
    """``ResNet`` whose outputs are (stem, *stages of ``out_indices``)."""

    def forward(self, x):
        if self.deep_stem:
            x = self.stem(x)
        else:
            x = self.relu(self.norm1(self.conv1(x)))
        x = self.maxpool(x)
        outs = [x]
        for i, layer_name in enumerate(self.res_layers):
            x = getattr(self, layer_name)(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
