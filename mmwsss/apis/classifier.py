"""The stage-1 classifier as a function image -> CAMs (stage cam)."""
import numpy as np
import torch

from mmwsss.utils.io import read_image  # noqa: F401  (strict decode)

from .common import load_checkpoint_strict, load_config


class CAMModel:
    """A stage-1 classifier as a function image (BGR uint8) -> CAMs."""

    def __init__(self, config, checkpoint, device='cpu', cfg_options=None):
        from mmengine.registry import init_default_scope

        cfg = load_config(config, cfg_options)
        init_default_scope(cfg.get('default_scope', 'mmpretrain'))
        from mmpretrain.registry import MODELS
        model = MODELS.build(cfg.model)
        if not hasattr(getattr(model, 'head', None), 'cam_logits'):
            raise TypeError(f'{config}: the model head must be a CAMHead '
                            f'(got {type(getattr(model, "head", None))})')
        load_checkpoint_strict(model, checkpoint, config)
        self.model = model.to(device).eval()
        self.device = device
        # oneDNN runs these convolutions faster on NHWC tensors
        self.channels_last = torch.device(device).type == 'cpu'
        if self.channels_last:
            self.model.to(memory_format=torch.channels_last)
        self.num_classes = model.head.num_classes
        pre = model.data_preprocessor
        self.to_rgb = bool(getattr(pre, '_channel_conversion', False))
        if getattr(pre, '_enable_normalize', False):
            self.mean = pre.mean.detach().float().view(1, -1, 1, 1).to(device)
            self.std = pre.std.detach().float().view(1, -1, 1, 1).to(device)
        else:
            self.mean = self.std = None

    def prepare(self, bgr):
        """HxWx3 uint8 BGR -> normalised 1x3xHxW float tensor."""
        img = bgr[..., ::-1] if self.to_rgb else bgr
        x = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
        x = x.to(self.device, torch.float32)[None]
        if self.mean is not None:
            x = (x - self.mean) / self.std
        return x

    def cam_logits(self, batch):
        """Raw class maps ``W * X`` of a batch (B x C x h x w)."""
        if self.channels_last:
            batch = batch.contiguous(memory_format=torch.channels_last)
        return self.model.head.cam_logits(self.model.extract_feat(batch))

    @torch.inference_mode()
    def __call__(self, bgr, keys, scales=(1.0, 0.5, 1.5, 2.0), flip=True):
        from mmwsss.cam import multiscale_cam
        cams = multiscale_cam(self.cam_logits, self.prepare(bgr), keys,
                              scales=scales, flip=flip)
        return cams.cpu().numpy()
