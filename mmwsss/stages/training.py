"""The training steps of the stages classify, saliency, segment and of
expand's method irn: train a model from an mm config, then test a checkpoint
(:mod:`mmwsss.apis.train`, mmengine's ``Runner``, as ``tools/train.py`` and
``tools/test.py`` do).

``cfg_options`` are config overrides as ``--cfg-options`` gives them
(dotted keys; nested dicts are flattened to dotted keys).
"""
import dataclasses
from typing import Optional

from .settings import StageSettings


def flat_options(options, prefix=''):
    """``{'randomness': {'seed': 1}}`` -> ``{'randomness.seed': 1}``."""
    flat = {}
    for k, v in (options or {}).items():
        if isinstance(v, dict):
            flat.update(flat_options(v, f'{prefix}{k}.'))
        else:
            flat[f'{prefix}{k}'] = v
    return flat


@dataclasses.dataclass
class TrainSettings(StageSettings):
    """Training from an mm config into ``work_dir``."""
    section = 'train'
    config: str = None
    work_dir: str = None
    resume: Optional[str] = 'auto'   # 'auto', a checkpoint, or None
    amp: bool = False
    cfg_options: Optional[dict] = None
    launcher: str = 'none'

    def validate(self):
        for key in ('config', 'work_dir'):
            if not getattr(self, key):
                raise self.error(key, 'is required')
        if not isinstance(self.cfg_options, (dict, type(None))):
            raise self.error('cfg_options', 'must be a dict')
        self.cfg_options = flat_options(self.cfg_options) or None


@dataclasses.dataclass
class TestSettings(StageSettings):
    """Testing a checkpoint; ``out_metrics``: the metrics JSON; ``out``
    (mmseg scope): a folder for the predicted masks."""
    section = 'test'
    config: str = None
    checkpoint: str = None
    work_dir: str = None
    out_metrics: Optional[str] = None
    out: Optional[str] = None
    tta: bool = False
    cfg_options: Optional[dict] = None
    launcher: str = 'none'

    def validate(self):
        for key in ('config', 'checkpoint', 'work_dir'):
            if not getattr(self, key):
                raise self.error(key, 'is required')
        if not isinstance(self.cfg_options, (dict, type(None))):
            raise self.error('cfg_options', 'must be a dict')
        self.cfg_options = flat_options(self.cfg_options) or None


def run_train(settings):
    """Train (resuming as ``settings.resume`` says)."""
    from mmwsss.apis.train import build_train_config, train
    s = settings
    train(build_train_config(s.config, work_dir=s.work_dir, resume=s.resume,
                             amp=s.amp, cfg_options=s.cfg_options,
                             launcher=s.launcher))
    return dict(work_dir=s.work_dir)


def run_test(settings):
    """Test the checkpoint; returns the metrics."""
    from mmwsss.apis.train import build_test_config, test
    s = settings
    metrics = test(build_test_config(
        s.config, s.checkpoint, work_dir=s.work_dir, out=s.out, tta=s.tta,
        cfg_options=s.cfg_options, launcher=s.launcher),
        out_metrics=s.out_metrics)
    return {k: v for k, v in (metrics or {}).items()
            if isinstance(v, (int, float))}
