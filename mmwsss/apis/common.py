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


def load_checkpoint_strict(model, checkpoint, config=None):
    """Load ``checkpoint`` into ``model`` for inference, strictly.

    A file that is not a readable checkpoint, or whose weights do not match
    the model (missing or unexpected keys, other shapes: e.g. the SOD net's
    checkpoint given to the classifier), is an error naming the file and the
    first offending keys, never a silently random-initialised layer. The
    file is read weights only (:func:`mmwsss.utils.compat.
    load_checkpoint_file`): one holding other objects is refused.
    Returns the loaded checkpoint dict (``meta`` etc.)."""
    from mmengine.runner.checkpoint import _load_checkpoint

    from mmwsss.utils.compat import UntrustedCheckpoint
    check_checkpoint(checkpoint)
    if osp.getsize(checkpoint) == 0:
        raise ValueError(f'{checkpoint}: empty file (0 bytes), not a '
                         'checkpoint')
    try:
        ckpt = _load_checkpoint(checkpoint, map_location='cpu')
    except UntrustedCheckpoint:  # names the file and what it held
        raise
    except Exception as e:  # torch.load: zip / pickle / EOF errors
        raise ValueError(f'{checkpoint}: cannot read the checkpoint, '
                         f'truncated or corrupt ({type(e).__name__}: '
                         f'{str(e)[:300]})') from e
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict):
        raise ValueError(f'{checkpoint}: not a checkpoint (no state_dict)')
    state = {k[7:] if k.startswith('module.') else k: v
             for k, v in state.items()}
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = sorted(k for k in set(own) & set(state)
                    if hasattr(state[k], 'shape')
                    and tuple(state[k].shape) != tuple(own[k].shape))
    if missing or unexpected or shapes:
        what = f'the model of {config}' if config else 'the model'
        parts = []
        for name, keys in (('missing', missing), ('unexpected', unexpected),
                           ('of another shape', shapes)):
            if keys:
                parts.append(f'{len(keys)} {name} key(s), e.g. '
                             + ', '.join(keys[:4]))
        raise ValueError(f'{checkpoint} does not match {what} (another '
                         f'model\'s checkpoint?): ' + '; '.join(parts))
    model.load_state_dict(state, strict=True)
    return ckpt
