"""Convert the COCO-pretrained DeepLab-v1 ResNet-101 checkpoint
(``deeplabv1_resnet101-coco.pth`` of kazuto1011/deeplab-pytorch) into the
backbone weights of ``configs/seg/deeplabv2_r101-d8_1xb10-20k_voc12aug-pseudo
-321x321.py`` (mmseg ``ResNet``, Caffe style). The classifier (``fc``,
``aspp``) is dropped: the VOC head is trained from scratch.

    python tools/convert_deeplabv1.py deeplabv1_resnet101-coco.pth \\
        $MMWSSS_WEIGHTS_DIR/deeplabv1_resnet101-coco_mmseg.pth
"""
import argparse
import os.path as osp

import torch

import mmwsss.mm_components  # noqa: F401  (compat fixes before mmseg)
from mmwsss.models.backbones.deeplabv1_key_mapping import \
    convert_deeplabv1_state_dict
from mmwsss.utils.io import atomic_write


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('src', help='deeplabv1_resnet101-coco.pth')
    parser.add_argument('dst', help='output .pth (backbone state dict)')
    from mmwsss.utils.cli import add_common_args
    add_common_args(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    if not osp.isfile(args.src):
        raise SystemExit(f'{args.src}: no such file')
    state = torch.load(args.src, map_location='cpu', weights_only=True)
    try:
        converted, dropped = convert_deeplabv1_state_dict(state)
    except (KeyError, ValueError) as err:
        raise SystemExit(f'{args.src}: {err}')
    with atomic_write(args.dst) as tmp:   # 0666 & ~umask, no half file
        torch.save(dict(state_dict=converted,
                        meta=dict(source=osp.basename(args.src))), tmp)
    print(f'{args.dst}: {len(converted)} backbone tensors; dropped '
          f'{len(dropped)} classifier keys {dropped}')


if __name__ == '__main__':
    from mmwsss.utils.cli import run_main
    run_main(main)
