"""Benchmark: ``tools/run_cam.py`` against a plain per-image, per-scale loop.

    python benchmarks/bench_cam.py [--config C --checkpoint K] \\
        [--data-root D --split S] [--num-images 12] [--num-classes 20] \\
        [--threads 1] [--repeats 2] [--out-json result.json]

Both run the same model (by default the toy CAM config with a 20-class head
and random weights, saved to a temporary checkpoint) on the same images (by
default synthetic VOC-sized 500x375 JPEGs with 1-3 random classes each), with
IRN's scales (1.0, 0.5, 1.5, 2.0) x flip, in this process, with the same
number of CPU threads, alternately, ``--repeats`` times:

* **plain**: for every image, every scale and every flip one forward pass of
  the single image, the ReLU maps of *all* classes upsampled (IRN's strided
  size, cropped to the image) and summed, normalised, saved as an IRN-style
  float32 array of all classes (``np.save``);
* **tool**: the cam stage (``mmwsss.stages.cam.run_cam``, what
  ``tools/run_cam.py`` calls; model loading included):
  image and mirror in one batch per scale, NHWC (channels-last) tensors on
  CPU, only the present classes upsampled, float16 maps of the present
  classes in a compressed ``.npz``.

Prints the time per image of both and their ratio (plain / tool, > 1 means
the tool is faster), the largest difference between the two CAMs of the
present classes, and the bytes stored per image: the tool's ``.npz``, the
float32 array of all classes, and IRN's own ``.npy`` (float32 maps of the
present classes at image size plus the strided maps). Nothing is asserted.
"""
import argparse
import json
import os
import os.path as osp
import shutil
import sys
import tempfile
import time

import cv2
import numpy as np
import torch
import torch.nn.functional as F

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_CFG = osp.join(REPO, 'configs', 'cam',
                       'cam_r18-w16-s16_1xb8-60e_toy-160x160.py')
SCALES = (1.0, 0.5, 1.5, 2.0)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--config', default=DEFAULT_CFG)
    p.add_argument('--checkpoint', default=None,
                   help='default: random weights of --config')
    p.add_argument('--data-root', default=None,
                   help='VOC2012-style folder (default: synthetic images)')
    p.add_argument('--split', default='train')
    p.add_argument('--num-images', type=int, default=12)
    p.add_argument('--num-classes', type=int, default=20,
                   help='head classes for the random model / synthetic data')
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--repeats', type=int, default=2)
    p.add_argument('--out-json', default=None)
    return p.parse_args(argv)


def synthetic_voc(root, num_images, num_classes, seed=0):
    """VOC-sized random-blob JPEGs with random image-level labels."""
    rng = np.random.default_rng(seed)
    os.makedirs(osp.join(root, 'JPEGImages'))
    os.makedirs(osp.join(root, 'ImageSets', 'Segmentation'))
    ids, labels = [], {}
    for i in range(num_images):
        img_id = f'bench_{i:04d}'
        img = cv2.GaussianBlur(rng.integers(0, 256, (375, 500, 3), np.uint8),
                               (0, 0), 4)
        cv2.imwrite(osp.join(root, 'JPEGImages', img_id + '.jpg'), img)
        vec = np.zeros(num_classes, np.float32)
        vec[rng.choice(num_classes, rng.integers(1, 4), replace=False)] = 1
        ids.append(img_id)
        labels[img_id] = vec
    with open(osp.join(root, 'ImageSets', 'Segmentation', 'train.txt'),
              'w') as f:
        f.write('\n'.join(ids) + '\n')
    np.save(osp.join(root, 'cls_labels.npy'), labels)


def random_checkpoint(config, num_classes, path):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import mmwsss.mm_components  # noqa: F401  (registers components, compat fixes)
    cfg = Config.fromfile(config)
    cfg.model.head.num_classes = num_classes
    cfg.model.data_preprocessor.num_classes = num_classes
    init_default_scope('mmpretrain')
    from mmpretrain.registry import MODELS
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    import logging

    from mmengine.logging import MMLogger
    MMLogger.get_current_instance().setLevel(logging.ERROR)
    model.init_weights()
    torch.save(dict(state_dict=model.state_dict(), meta={}), path)
    return [f'model.head.num_classes={num_classes}',
            f'model.data_preprocessor.num_classes={num_classes}']


def _options(cfg_options):
    """``key=value`` strings -> dict (as mmengine's DictAction reads them)."""
    if not cfg_options:
        return None
    from mmengine.config import DictAction
    ns = argparse.Namespace()
    DictAction(option_strings=[], dest='o')(None, ns, cfg_options)
    return ns.o


def plain_loop(args, cfg_options, ids, labels, out):
    """Per image, per scale, per flip; all classes; float32 .npy."""
    from mmwsss.apis.classifier import CAMModel, read_image
    opts = _options(cfg_options)
    model = CAMModel(args.config, args.checkpoint, 'cpu', opts)
    # a plain loop: the model as built (NCHW), called directly
    net = model.model.to(memory_format=torch.contiguous_format)
    os.makedirs(out, exist_ok=True)
    with torch.no_grad():
        for img_id in ids:
            bgr = read_image(osp.join(args.data_root, 'JPEGImages',
                                               img_id + '.jpg'))
            x = model.prepare(bgr)
            h, w = x.shape[-2:]
            total = torch.zeros(1, model.num_classes, h, w)
            up = None
            for s in SCALES:
                size = (int(round(h * s)), int(round(w * s)))
                xs = F.interpolate(x, size=size, mode='bilinear',
                                   align_corners=False)
                for flip in (False, True):
                    cam = F.relu(net.head.cam_logits(net.extract_feat(
                        xs.flip(-1) if flip else xs)))
                    if flip:
                        cam = cam.flip(-1)
                    if up is None:  # IRN: the strided-up size, then crop
                        stride = -(-h // cam.shape[-2])
                        up = (-(-h // stride) * stride,
                              -(-w // stride) * stride)
                    total += F.interpolate(cam, size=up, mode='bilinear',
                                           align_corners=False)[..., :h, :w]
            total /= total.flatten(2).max(-1)[0][..., None, None] + 1e-5
            np.save(osp.join(out, img_id + '.npy'),
                    total[0].numpy().astype(np.float32))


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    tmp = tempfile.mkdtemp(prefix='bench_cam_')
    try:
        cfg_options = []
        if args.data_root is None:
            args.data_root = osp.join(tmp, 'VOC2012')
            synthetic_voc(args.data_root, args.num_images, args.num_classes)
        if args.checkpoint is None:
            args.checkpoint = osp.join(tmp, 'random.pth')
            cfg_options = random_checkpoint(args.config, args.num_classes,
                                            args.checkpoint)
        from mmwsss.datasets.voc_layout import split_list_path
        from mmwsss.stages.cam import CamSettings, run_cam
        from mmwsss.utils import load_cls_labels, read_image_list
        ids = read_image_list(split_list_path(args.data_root, args.split))
        ids = ids[:args.num_images]
        list_file = osp.join(tmp, 'bench_list.txt')
        with open(list_file, 'w') as f:
            f.write('\n'.join(ids) + '\n')
        labels = load_cls_labels(osp.join(args.data_root, 'cls_labels.npy'))
        times = dict(tool=[], plain=[])
        for r in range(args.repeats):
            for name in ('plain', 'tool') if r % 2 == 0 else ('tool',
                                                             'plain'):
                out = osp.join(tmp, f'{name}_{r}')
                start = time.perf_counter()
                if name == 'tool':
                    run_cam(CamSettings(
                        config=args.config, checkpoint=args.checkpoint,
                        data_root=args.data_root, split=list_file, out=out,
                        threads=args.threads,
                        cfg_options=_options(cfg_options)))
                else:
                    plain_loop(args, cfg_options, ids, labels, out)
                times[name].append(time.perf_counter() - start)
        # agreement and storage, from the last repeat
        from mmwsss.utils import load_cam_npz
        diff, tool_bytes, plain_bytes, irn_bytes = 0.0, [], [], []
        r = args.repeats - 1
        for img_id in ids:
            keys, cam = load_cam_npz(osp.join(tmp, f'tool_{r}',
                                              img_id + '.npz'))
            full = np.load(osp.join(tmp, f'plain_{r}', img_id + '.npy'))
            diff = max(diff, float(np.abs(full[keys] - cam).max()))
            tool_bytes.append(os.path.getsize(
                osp.join(tmp, f'tool_{r}', img_id + '.npz')))
            plain_bytes.append(os.path.getsize(
                osp.join(tmp, f'plain_{r}', img_id + '.npy')))
            # IRN: float32 high-res maps of the present classes + strided
            # maps at stride 4 of the image (its "cam" entry)
            h, w = cam.shape[1:]
            irn_bytes.append(4 * len(keys) * (h * w + -(-h // 4) * -(-w // 4)))
        n = len(ids)
        result = dict(
            num_images=n, threads=args.threads, repeats=args.repeats,
            config=args.config,
            image_size=list(cam.shape[1:]),
            tool_s_per_image=min(times['tool']) / n,
            plain_s_per_image=min(times['plain']) / n,
            ratio_plain_over_tool=min(times['plain']) / min(times['tool']),
            max_abs_cam_difference=diff,
            bytes_per_image=dict(
                tool_npz_float16_present=float(np.mean(tool_bytes)),
                float32_all_classes=float(np.mean(plain_bytes)),
                irn_npy_float32_present=float(np.mean(irn_bytes))),
        )
        b = result['bytes_per_image']
        print(f'{n} images {result["image_size"]}, {args.threads} thread(s), '
              f'best of {args.repeats}')
        print(f'  plain loop   : {result["plain_s_per_image"]:.3f} s/image')
        print(f'  make_cam.py  : {result["tool_s_per_image"]:.3f} s/image')
        print(f'  ratio plain / tool: {result["ratio_plain_over_tool"]:.2f}')
        print(f'  max |CAM difference| (present classes): {diff:.2e}')
        tool_b = b['tool_npz_float16_present']
        print(f'  bytes/image: tool {tool_b:.0f}, float32 all classes '
              f'{b["float32_all_classes"]:.0f} '
              f'({b["float32_all_classes"] / tool_b:.1f}x), IRN float32 '
              f'present {b["irn_npy_float32_present"]:.0f} '
              f'({b["irn_npy_float32_present"] / tool_b:.1f}x)')
        if args.out_json:
            with open(args.out_json, 'w') as f:
                json.dump(result, f, indent=2)
        return result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(0 if main() else 1)
