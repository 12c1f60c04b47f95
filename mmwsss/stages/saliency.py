"""Stage saliency (inference): saliency maps of an image list with the SOD
net trained in the same stage (``tools/train.py`` on DUTS-TR).

Writes ``<out>/<id>.png``: the saliency probability of the model (sigmoid of
the decode head) as a uint8 grey PNG (``round(255 * p)``) at the original
image size. The image goes through the config's test pipeline (annotation
loading and mask transforms are dropped, :mod:`mmwsss.apis.saliency_model`).
Each map is written atomically and ids whose map exists and decodes are
skipped, so a killed run resumes (the folder's manifest refuses other
settings); under torchrun every rank takes its share of the list.

    python -m mmwsss.stages.saliency SETTINGS.json

runs one step (see :mod:`mmwsss.stages.entry`): ``train`` and ``test``
(the SOD net, :mod:`mmwsss.stages.training`), ``infer``
(:class:`SaliencySettings`, :func:`run_saliency`). By hand:
``tools/train.py``, ``tools/test.py``, ``tools/run_saliency.py``.
"""
import dataclasses
import os
import os.path as osp
from typing import Optional

from mmwsss.utils.io import read_image_list, save_grey_png

from .entry import Step, run_step_file
from .settings import StageSettings, manifest_settings
from .training import TestSettings, TrainSettings, run_test, run_train


@dataclasses.dataclass
class SaliencySettings(StageSettings):
    """Settings of the saliency inference (config section ``saliency``;
    the pipeline's section also names the SOD training ``config``)."""
    section = 'saliency'
    pipeline_keys = ('cfg_options', )
    config: str = None
    checkpoint: str = None
    img_dir: str = None
    list: str = None
    out: str = None
    img_suffix: str = '.jpg'
    flip: bool = False
    device: Optional[str] = None
    model_cfg_options: Optional[dict] = None
    distributed: bool = False
    overwrite: bool = False

    def validate(self):
        for key in ('config', 'checkpoint', 'img_dir', 'list', 'out'):
            if not getattr(self, key):
                raise self.error(key, 'is required')


def run_saliency(settings):
    """Write the saliency maps of ``settings.list``; returns a summary."""
    from mmwsss.apis.common import default_device
    from mmwsss.apis.saliency_model import (build_saliency_model,
                                            predict_saliency)
    from mmwsss.utils.sharding import ShardedJob
    s = settings
    ids = read_image_list(s.list)
    job = ShardedJob(
        ids, lambda i: [osp.join(s.out, f'{i}.png')], out_dir=s.out,
        overwrite=s.overwrite,
        settings=manifest_settings(s, 'saliency', ('checkpoint', 'list')),
        inputs=dict(list=s.list, checkpoint=s.checkpoint))
    res = dict(rank=job.rank, world_size=job.world_size, out=s.out,
               num_ids=len(job.ids), written=len(job.todo))
    if not job.todo:
        return res
    missing = [p for p in (osp.join(s.img_dir, i + s.img_suffix)
                           for i in job.todo) if not osp.isfile(p)]
    if missing:  # fail before loading the model
        raise FileNotFoundError(
            f'{len(missing)} images of {s.list} not found, e.g. '
            + ', '.join(missing[:5]))
    device = default_device(s.device, job.world_size > 1)
    model, pipeline = build_saliency_model(
        s.config, s.checkpoint, device, s.flip, s.model_cfg_options)
    os.makedirs(s.out, exist_ok=True)

    def write_one(img_id):
        img_path = osp.join(s.img_dir, img_id + s.img_suffix)
        save_grey_png(osp.join(s.out, f'{img_id}.png'),
                      predict_saliency(model, pipeline, img_path))

    job.run(write_one, desc='saliency')
    return res


#: the steps of ``python -m mmwsss.stages.saliency SETTINGS.json``
STEPS = dict(train=Step(TrainSettings, run_train, init_dist=False),
             test=Step(TestSettings, run_test, init_dist=False),
             infer=Step(SaliencySettings, run_saliency))

if __name__ == '__main__':
    run_step_file('saliency', STEPS)
