"""docs/own_dataset.md, run as written.

Every ``python`` command of the page's shell blocks runs in order, in a
fresh folder that holds ``tools``, ``configs`` and ``docs`` of this
checkout, after the config files the page shows (``# my_configs/...``
blocks) are saved. Only the training schedules are shortened (1 classifier
epoch, 2 segmenter iterations) and the checkpoint names follow. Then the
outputs are checked: the converted layout, the class names the evaluators
print and write, and a segmenter trained on the pseudo-labels.
"""
import json
import os
import os.path as osp
import re
import subprocess
import sys

import numpy as np

from conftest import REPO

from mmwsss.datasets.voc_layout import load_cls_labels, read_class_names

DOC = osp.join(REPO, 'docs', 'own_dataset.md')
CLASSES = ['lemon', 'grape', 'leaf']
# the shortened schedules
SHORT = {
    'my_configs/cam_r18_fruit.py': 'train_cfg.max_epochs=1',
    'my_configs/seg_fruit.py': 'train_cfg.max_iters=2 train_cfg.val_interval=2 '
    'default_hooks.checkpoint.interval=2',
}
RENAME = {'epoch_30.pth': 'epoch_1.pth', 'iter_300.pth': 'iter_2.pth'}


def doc_blocks():
    text = open(DOC, encoding='utf-8').read()
    return re.findall(r'^```(\w*)\n(.*?)^```', text, re.S | re.M)


def doc_files():
    """``{path: text}`` of the python blocks that start with ``# <path>:``."""
    files = {}
    for lang, body in doc_blocks():
        m = re.match(r'# (my_configs/[\w.-]+\.py):', body)
        if lang == 'python' and m:
            files[m.group(1)] = body
    return files


def doc_commands():
    """The ``python`` command lines of the bash blocks, in order."""
    commands = []
    for lang, body in doc_blocks():
        if lang != 'bash':
            continue
        for line in body.replace('\\\n', ' ').splitlines():
            line = ' '.join(line.split())
            if line.startswith('python '):
                commands.append(line)
    return commands


def shortened(cmd):
    for config, opts in SHORT.items():
        if cmd.startswith(f'python tools/train.py {config}'):
            cmd += (' ' if '--cfg-options' in cmd else ' --cfg-options ') + \
                opts
    for old, new in RENAME.items():
        cmd = cmd.replace(old, new)
    return cmd


def test_the_page_lists_the_whole_example():
    commands = doc_commands()
    tools = [c.split()[1] for c in commands]
    assert tools == [
        'docs/examples/make_fruit_photos.py',
        'tools/dataset_converters/tags_to_voc.py',
        'tools/dataset_converters/make_cls_labels.py',
        'tools/train.py', 'tools/run_cam.py', 'tools/eval_cam.py',
        'tools/run_expand.py', 'tools/eval_labels.py', 'tools/train.py'], \
        tools
    assert sorted(doc_files()) == sorted(SHORT)


def test_own_dataset_example_end_to_end(tmp_path):
    for name in ('tools', 'configs', 'docs'):
        os.symlink(osp.join(REPO, name), tmp_path / name)
    for path, text in doc_files().items():
        (tmp_path / path).parent.mkdir(exist_ok=True)
        (tmp_path / path).write_text(text)
    env = dict(os.environ, OMP_NUM_THREADS='1',
               PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH',
                                                             ''),
               PATH=osp.dirname(sys.executable) + os.pathsep +
               os.environ['PATH'])
    outputs = []
    for cmd in doc_commands():
        cmd = shortened(cmd)
        proc = subprocess.run(['bash', '-c', cmd], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, \
            f'{cmd}\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}'
        outputs.append(proc.stdout + proc.stderr)

    voc = tmp_path / 'data' / 'fruit' / 'VOC2012'
    # the converted layout: names in the order given, labels from the tags
    assert read_class_names(voc / 'classes.txt') == ['background'] + CLASSES
    labels = load_cls_labels(voc / 'cls_labels.npy')
    lists = {s: (voc / 'ImageSets' / 'Segmentation' / f'{s}.txt')
             .read_text().split() for s in ('train_aug', 'train', 'val')}
    assert (len(lists['train_aug']), len(lists['train']),
            len(lists['val'])) == (32, 16, 16)
    assert set(lists['train']) <= set(lists['train_aug'])
    assert sorted(labels) == sorted(lists['train_aug'] + lists['val'])
    assert all(v.shape == (3, ) for v in labels.values())
    for i, name in enumerate(CLASSES):
        assert sum(v[i] for v in labels.values()) > 0, name
    # the photos' .png files became JPEGs; every image has its mask
    assert len(list((voc / 'JPEGImages').glob('*.jpg'))) == 48
    assert len(list((voc / 'SegmentationClassAug').glob('*.png'))) == 48
    # labels from the masks agree with the tags (the example draws both)
    assert 'compared with data/fruit/VOC2012/cls_labels.npy: 0 of 32 ' \
        'images have different labels' in outputs[2]
    from_masks = load_cls_labels(tmp_path / 'data' / 'fruit' /
                                 'cls_labels_from_masks.npy')
    for img_id, vec in from_masks.items():
        np.testing.assert_array_equal(vec, labels[img_id])

    # the evaluators name the classes of classes.txt
    work = tmp_path / 'work_dirs' / 'fruit'
    for name in ('cam_eval.json', 'expand_eval.json'):
        data = json.loads((work / name).read_text())
        assert data['class_names'] == ['background'] + CLASSES
        assert data['num_images'] == 16
        assert sorted(data['IoU']) == sorted(['background'] + CLASSES)
    assert '| lemon |' in outputs[5] and '| leaf |' in outputs[7]
    # the segmenter trained on the pseudo-labels, validated with the names
    assert (work / 'segment' / 'iter_2.pth').is_file()
    assert 'lemon' in outputs[8] and 'grape' in outputs[8]
