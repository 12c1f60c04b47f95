"""Foundation: the plugin imports and registers, the compatibility fixes do
what they say (and nothing where not needed), and the standard tools train,
resume, test and train distributed on CPU."""
import glob
import json
import os.path as osp
import socket
import subprocess
import sys

import numpy as np
import pytest
import torch

from conftest import REPO, run_tool, tool_env

TINY_CFG = osp.join(REPO, 'tests', 'data', 'configs', 'fcn_tiny_toy.py')


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_custom_imports_loads_plugin():
    """A config inheriting our runtime base imports mmwsss.mm_components
    (fresh process)."""
    code = ('import sys\n'
            'from mmengine.config import Config\n'
            f'cfg = Config.fromfile({TINY_CFG!r})\n'
            "assert 'mmwsss.mm_components' in sys.modules, "
            "'custom_imports did not load'\n"
            "assert cfg.default_scope == 'mmseg'\n"
            "print('OK')\n")
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr[-3000:]
    assert 'OK' in out.stdout


def test_mmcv_ops_shim_matches_bilinear_sampling():
    import mmwsss.mm_components  # noqa: F401  (registers components, compat fixes)
    from mmwsss.utils import compat
    if compat.has_full_mmcv():
        pytest.skip('full mmcv installed: the shim is (correctly) not used')
    ops = sys.modules['mmcv.ops']
    assert getattr(ops, '__mmwsss_shim__', False)
    feat = torch.arange(16, dtype=torch.float32).view(1, 1, 4, 4)
    # centres of pixels (0,0), (3,2) and the midpoint of (1,1)-(2,2)
    pts = torch.tensor([[[0.125, 0.125], [0.625, 0.875], [0.5, 0.5]]])
    out = ops.point_sample(feat, pts, align_corners=False)
    assert out.shape == (1, 1, 3)
    expected = [0.0, 3 * 4 + 2, (5 + 6 + 9 + 10) / 4]
    np.testing.assert_allclose(out[0, 0].numpy(), expected, atol=1e-5)
    with pytest.raises(ModuleNotFoundError, match='full mmcv'):
        from mmcv.ops import CrissCrossAttention  # noqa: F401
    import mmseg.models  # noqa: F401  (failed on mmcv-lite before the shim)


def test_sigmoid_focal_loss_shim_matches_formula():
    from mmwsss.utils.compat import _sigmoid_focal_loss
    pred = torch.tensor([[2.0, -1.0], [0.5, 0.3]])
    target = torch.tensor([0, 2])  # 2 = "no class" (background)
    loss = _sigmoid_focal_loss(pred, target, gamma=2.0, alpha=0.25,
                               reduction='none')
    p = torch.sigmoid(pred)
    y = torch.tensor([[1.0, 0.0], [0.0, 0.0]])
    pt = torch.where(y > 0, p, 1 - p)
    a = torch.where(y > 0, torch.tensor(0.25), torch.tensor(0.75))
    ref = -a * (1 - pt) ** 2 * torch.log(pt)
    torch.testing.assert_close(loss, ref)


def test_apply_runtime_fixes_is_idempotent():
    import mmwsss.mm_components as mm_components
    first = mm_components.apply_runtime_fixes()
    assert mm_components.apply_runtime_fixes() == first
    if not torch.cuda.is_available():
        assert 'cpu_dist_init' in first


def test_checkpoint_with_message_hub_loads(tmp_path):
    """torch>=2.6 refuses mmengine's own checkpoints without the fix."""
    import mmwsss.mm_components  # noqa: F401  (registers components, compat fixes)
    from mmengine.logging import HistoryBuffer
    from mmengine.runner.checkpoint import _load_checkpoint
    ckpt = dict(meta=dict(epoch=1, arr=np.arange(3)),
                message_hub=dict(log_scalars={'loss': HistoryBuffer()}),
                state_dict={'w': torch.ones(2)})
    path = str(tmp_path / 'ckpt.pth')
    torch.save(ckpt, path)
    loaded = _load_checkpoint(path, map_location='cpu')
    assert torch.equal(loaded['state_dict']['w'], torch.ones(2))
    assert isinstance(loaded['message_hub']['log_scalars']['loss'],
                      HistoryBuffer)


def test_adapt_config_cpu_and_noop_with_cuda(monkeypatch):
    from mmengine.config import Config

    from mmwsss.utils import adapt_config
    cfg = Config.fromfile(TINY_CFG)
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    before = cfg.to_dict()
    adapt_config(cfg, distributed=True)
    assert cfg.to_dict() == before, 'must be a no-op where CUDA exists'
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    adapt_config(cfg, distributed=True)
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'
    assert cfg.model.backbone.norm_cfg.type == 'BN'
    assert cfg.model.decode_head.norm_cfg.type == 'BN'
    assert cfg.model_wrapper_cfg.device_ids is None


def test_train_resume_and_test_tools(toy_root, tmp_path):
    data_root = osp.join(toy_root, 'VOC2012')
    work = tmp_path / 'work'
    opts = ['--cfg-options', f'data_root={data_root}',
            f'train_dataloader.dataset.data_root={data_root}',
            f'val_dataloader.dataset.data_root={data_root}',
            f'test_dataloader.dataset.data_root={data_root}']
    run_tool('tools/train.py', TINY_CFG, '--work-dir', work, *opts)
    assert osp.isfile(work / 'iter_4.pth')
    # resume the run and train 2 more iterations
    proc = run_tool('tools/train.py', TINY_CFG, '--work-dir', work, '--resume',
                    *opts, 'train_cfg.max_iters=6', 'train_cfg.val_interval=6',
                    'param_scheduler.0.end=6')
    assert osp.isfile(work / 'iter_6.pth')
    assert 'resumed' in (proc.stdout + proc.stderr).lower()
    ckpt = torch.load(work / 'iter_6.pth', map_location='cpu',
                      weights_only=False)
    assert ckpt['meta']['iter'] == 6
    # evaluate the checkpoint with tools/test.py
    test_work = tmp_path / 'test'
    run_tool('tools/test.py', TINY_CFG, work / 'iter_6.pth', '--work-dir',
             test_work, '--out-metrics', test_work / 'metrics.json', *opts)
    logs = glob.glob(str(test_work / '*' / '*.json'))
    assert logs, 'tools/test.py wrote no metrics json'
    metrics = json.load(open(sorted(logs)[-1]))
    assert 0.0 <= metrics['mIoU'] <= 100.0
    # --out-metrics: the same metrics at a fixed path (read by the pipeline)
    fixed = json.load(open(test_work / 'metrics.json'))
    assert fixed['mIoU'] == pytest.approx(metrics['mIoU'])


def test_dist_train_two_cpu_processes(toy_root, tmp_path):
    data_root = osp.join(toy_root, 'VOC2012')
    work = tmp_path / 'dist'
    env = dict(PORT=str(_free_port()), OMP_NUM_THREADS='1')
    proc = subprocess.run(
        ['bash', 'tools/dist_train.sh', TINY_CFG, '2', '--work-dir', str(work),
         '--cfg-options', f'train_dataloader.dataset.data_root={data_root}',
         f'val_dataloader.dataset.data_root={data_root}',
         f'test_dataloader.dataset.data_root={data_root}',
         'train_dataloader.batch_size=2'],
        cwd=REPO, capture_output=True, text=True, timeout=600,
        env=tool_env(env))
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-5000:]
    assert osp.isfile(work / 'iter_4.pth')
    assert 'Distributed training: True' in out, out[-3000:]
    assert 'GPU number: 2' in out  # mmengine's name for the world size
    assert 'gloo' in out  # chosen automatically without CUDA
    assert 'mIoU' in out  # the validation at the last iteration ran
