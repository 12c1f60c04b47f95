"""Stage segment, VOC test server: a segmenter's predictions on VOC test.

The PASCAL VOC server takes a tarball of palette PNGs, one per test image,
under ``results/VOC2012/Segmentation/comp6_test_cls/`` (comp6: trained with
data beyond VOC's own annotations, which covers weak supervision with
saliency). :func:`format_voc_test` runs a segmenter
(:mod:`mmwsss.apis.segmenter`) on every id of the split and writes::

    OUT/results/VOC2012/Segmentation/comp6_test_cls/<id>.png
    OUT/results.tgz

PNGs that exist are skipped (resume); under torchrun the ids are split
across ranks (rank 0 writes the tarball at the end).

The pipeline's segment stages (trained on the expand stage's labels and on
the select stage's) run ``python -m mmwsss.stages.segment SETTINGS.json``
with steps ``train``, ``test`` and ``samples`` (a test that writes the
predicted masks), :mod:`mmwsss.stages.training`; see
:mod:`mmwsss.stages.entry`.
"""
import os
import os.path as osp
import tarfile

from mmwsss.utils.io import atomic_write, read_image_list, save_label_png

from .entry import Step, run_step_file
from .training import TestSettings, TrainSettings, run_test, run_train

RESULTS_SUBDIR = osp.join('results', 'VOC2012', 'Segmentation',
                          'comp6_test_cls')


def format_voc_test(config, checkpoint, data_root, out, split='test',
                    ann_file=None, tta=False, device=None, tar=True,
                    cfg_options=None, distributed=False, overwrite=False):
    """Write the predictions (and the tarball); returns the PNG folder."""
    from mmwsss.apis.common import default_device
    from mmwsss.apis.segmenter import init_segmenter, predict_label
    from mmwsss.utils.sharding import ShardedJob, barrier
    ann_file = ann_file or osp.join(data_root, 'ImageSets', 'Segmentation',
                                    f'{split}.txt')
    ids = read_image_list(ann_file)
    img_dir = osp.join(data_root, 'JPEGImages')
    missing = [osp.join(img_dir, i + '.jpg') for i in ids
               if not osp.isfile(osp.join(img_dir, i + '.jpg'))]
    if missing:
        raise FileNotFoundError(
            f'{len(missing)} of {len(ids)} images of {ann_file} are missing,'
            f' e.g. {missing[:3]}')
    device = default_device(device, distributed)
    res_dir = osp.join(out, RESULTS_SUBDIR)
    os.makedirs(res_dir, exist_ok=True)

    def png(img_id):
        return osp.join(res_dir, img_id + '.png')

    job = ShardedJob(
        ids, lambda i: [png(i)], out_dir=res_dir, overwrite=overwrite,
        settings=dict(stage='segment', config=osp.abspath(config), tta=tta,
                      cfg_options=cfg_options),
        inputs=dict(list=ann_file, checkpoint=checkpoint))
    if job.todo:
        model, pipeline = init_segmenter(config, checkpoint, device, tta,
                                         cfg_options)

        def run_one(img_id):
            label = predict_label(model, pipeline,
                                  osp.join(img_dir, img_id + '.jpg'))
            save_label_png(png(img_id), label)

        job.run(run_one, desc='VOC test')
    barrier()
    if job.rank == 0 and tar:
        tgz = write_tarball(out, ids)
        print(f'{len(ids)} predictions in {res_dir}; server tarball: {tgz}')
    return res_dir


def write_tarball(out_dir, ids):
    """Pack ``out_dir/results`` into ``out_dir/results.tgz`` (atomic)."""
    res_dir = osp.join(out_dir, RESULTS_SUBDIR)
    missing = [i for i in ids if not osp.isfile(osp.join(res_dir, i + '.png'))]
    if missing:
        raise RuntimeError(f'{len(missing)} predictions missing in {res_dir}'
                           f' (e.g. {missing[:3]}); run the tool again')
    tgz = osp.join(out_dir, 'results.tgz')
    with atomic_write(tgz, suffix='.tgz') as tmp:
        with tarfile.open(tmp, 'w:gz') as tar:
            for img_id in ids:
                tar.add(osp.join(res_dir, img_id + '.png'),
                        arcname=osp.join(RESULTS_SUBDIR, img_id + '.png'))
    return tgz


#: the steps of ``python -m mmwsss.stages.segment SETTINGS.json``
STEPS = dict(train=Step(TrainSettings, run_train, init_dist=False),
             test=Step(TestSettings, run_test, init_dist=False),
             samples=Step(TestSettings, run_test, init_dist=False))

if __name__ == '__main__':
    run_step_file('segment', STEPS)
