"""tools/gpu_check.sh exits cleanly with a message where there is no GPU."""
import subprocess

import pytest
import torch

from conftest import REPO, tool_env


@pytest.mark.skipif(torch.cuda.is_available(),
                    reason='a GPU is here: the check would run for minutes')
def test_gpu_check_without_cuda_says_so_and_exits_0():
    proc = subprocess.run(['bash', 'tools/gpu_check.sh'], cwd=REPO,
                          env=tool_env(), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'no CUDA device' in proc.stdout
