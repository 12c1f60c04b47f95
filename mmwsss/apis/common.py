"""What the model loaders share: config loading and the device choice."""
import os
import os.path as osp


def load_config(config, cfg_options=None):
    """An mm ``Config`` with overrides, after registering mmwsss."""
    from mmengine.config import Config

    import mmwsss.mm_components  # noqa: F401  (registers, compat fixes)
    if not osp.isfile(config):
        raise FileNotFoundError(f'config not found: {config}')
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def check_checkpoint(checkpoint):
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {checkpoint}')


def default_device(device=None, distributed=False):
    """``device``, else cuda when available (``cuda:LOCAL_RANK`` under
    torchrun), else cpu."""
    import torch
    if device and not (device == 'cuda' and distributed):
        return device
    if device == 'cuda' or (device is None and torch.cuda.is_available()):
        return (f'cuda:{int(os.environ.get("LOCAL_RANK", 0))}'
                if distributed else 'cuda')
    return 'cpu'
