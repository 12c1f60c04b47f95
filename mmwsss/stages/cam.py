"""Stage cam: multi-scale + flip CAMs of a split, one ``<id>.npz`` per image.

CAMs are made only for the classes of the image-level label
(``<data_root>/cls_labels.npy``, or derived from the masks), with IRN's
protocol (:func:`mmwsss.cam.multiscale_cam`), and stored as ``keys`` (int64
0-based class indices) + ``cams`` (float16 K x H x W in [0, 1], image size).
Each file is written atomically and images whose file exists and decodes are
skipped, so a killed run resumes (the folder's manifest refuses a rerun with
other settings, :mod:`mmwsss.utils.sharding`); under torchrun every rank
takes every world_size-th image. Each image is computed alone with a fixed
number of CPU threads (``threads``), so the files are byte-identical
whatever the number of processes or an interruption (oneDNN's results
depend on the thread count).

    python -m mmwsss.stages.cam SETTINGS.json

runs step ``cam`` (:class:`CamSettings`, :func:`run_cam`) or ``eval`` (the
threshold sweep, :mod:`mmwsss.stages.evaluate`); see
:mod:`mmwsss.stages.entry`. By hand: ``tools/run_cam.py``,
``tools/eval_cam.py``.
"""
import dataclasses
import os.path as osp
import sys
import time
from typing import Optional, Sequence

from mmwsss.datasets.voc_layout import (ImageLabels, default_cls_labels,
                                        read_split, root_path)

from .entry import Step, run_step_file
from .evaluate import LabelEvalSettings, run_eval
from .settings import StageSettings, manifest_settings


@dataclasses.dataclass
class CamSettings(StageSettings):
    """Settings of the cam stage (config section ``cam``)."""
    section = 'cam'
    config: str = None            # stage-1 classifier config
    checkpoint: str = None        # its checkpoint
    data_root: str = None         # VOC-style root
    out: str = None               # folder of <id>.npz
    split: str = 'train_aug'
    img_dir: str = 'JPEGImages'
    img_suffix: str = '.jpg'
    scales: Sequence[float] = (1.0, 0.5, 1.5, 2.0)
    flip: bool = True
    cls_labels: Optional[str] = None
    labels_from_mask: bool = False
    mask_dir: str = 'SegmentationClassAug'
    device: Optional[str] = None
    threads: int = 1
    cfg_options: Optional[dict] = None
    distributed: bool = False
    overwrite: bool = False

    def validate(self):
        for key in ('config', 'checkpoint', 'data_root', 'out'):
            if not getattr(self, key):
                raise self.error(key, 'is required')
        self.scales = tuple(float(s) for s in self.scales)
        if not self.scales or min(self.scales) <= 0:
            raise self.error('scales', 'must be positive numbers')
        if int(self.threads) < 1:
            raise self.error('threads', 'must be >= 1')


def run_cam(settings):
    """Write the CAMs of ``settings.split``; returns a summary dict."""
    import torch

    from mmwsss.apis.classifier import CAMModel
    from mmwsss.apis.common import default_device
    from mmwsss.utils.io import read_image, save_cam_npz
    from mmwsss.utils.sharding import ShardedJob, barrier

    s = settings
    torch.set_num_threads(int(s.threads))
    device = default_device(s.device, s.distributed)
    split_file, ids = read_split(s.data_root, s.split)
    img_dir = root_path(s.data_root, s.img_dir)
    out_path = lambda i: osp.join(s.out, i + '.npz')  # noqa: E731
    cls_file = None if s.labels_from_mask else (
        s.cls_labels or default_cls_labels(s.data_root))
    job = ShardedJob(
        ids, lambda i: [out_path(i)], out_dir=s.out, overwrite=s.overwrite,
        settings=manifest_settings(s, 'cam', ('checkpoint', 'cls_labels')),
        inputs=dict(list=split_file, cls_labels=cls_file,
                    checkpoint=s.checkpoint))
    start = time.time()
    if job.todo:
        model = CAMModel(s.config, s.checkpoint, device, s.cfg_options)
        labels = ImageLabels(
            s.data_root, s.cls_labels, from_mask=s.labels_from_mask,
            mask_dir=s.mask_dir, num_classes=model.num_classes)
        if labels.num_classes != model.num_classes:
            raise ValueError(f'{labels.file}: labels have '
                             f'{labels.num_classes} classes but the '
                             f'classifier has {model.num_classes}')

        def one(img_id):
            path = osp.join(img_dir, img_id + s.img_suffix)
            keys = labels.keys(img_id)
            if not len(keys):
                print(f'note: {img_id} has no foreground class in its '
                      'image-level label: its CAM file is empty',
                      file=sys.stderr)
            try:
                cams = model(read_image(path), keys, s.scales, s.flip)
            except (ValueError, RuntimeError) as e:
                raise RuntimeError(f'image {img_id!r} ({path}): {e}') from e
            save_cam_npz(out_path(img_id), keys, cams)

        job.run(one, desc='CAMs')
    barrier()
    return dict(split=split_file, num_images=len(ids), out=s.out,
                rank=job.rank, skipped=len(job.ids) - len(job.todo),
                seconds=time.time() - start)


#: the steps of ``python -m mmwsss.stages.cam SETTINGS.json``
STEPS = dict(cam=Step(CamSettings, run_cam),
             eval=Step(LabelEvalSettings, run_eval))

if __name__ == '__main__':
    run_step_file('cam', STEPS)
