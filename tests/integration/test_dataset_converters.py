"""tools/dataset_converters/: their command lines on toy data and on the real
VOC slice ``../shared/data/voc_real_mini``.

* ``make_cls_labels.py --from masks`` on voc_real_mini gives the shipped
  (XML-derived) labels of its 4 images; ``--from xml`` on VOC-style XML
  written from those labels gives them back (``difficult`` kept unless
  ``--skip-difficult``; parts are not objects; unknown names refused);
* ``sbd_to_voc_aug.py`` on an SBD release made of voc_real_mini's official
  masks (as MATLAB ``GTcls`` structs) writes them back byte for byte where
  VOC segmented the image and value for value from the ``.mat`` elsewhere,
  and the train_aug list by the set rule;
* ``tags_to_voc.py`` on a toy folder of images + CSV: layout, labels,
  lists, classes.txt, conversions, and errors that name the CSV line.
"""
import os.path as osp
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from conftest import REPO, VOC_REAL_MINI, run_tool, tool_env

from mmwsss.datasets.voc_layout import (VOC_CLASSES, load_cls_labels,
                                        read_class_names)
from mmwsss.utils.io import load_label_png

CONV = osp.join('tools', 'dataset_converters')
MINI_IDS = ['2011_000003', '2011_000006', '2011_000025', '2011_003066']

needs_mini = pytest.mark.skipif(not osp.isdir(VOC_REAL_MINI),
                                reason='../shared/data/voc_real_mini missing')


def run_fail(*args):
    """Run a tool that must fail; return its stderr."""
    proc = subprocess.run([sys.executable, *map(str, args)], cwd=REPO,
                          env=tool_env(), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode != 0, proc.stdout
    return proc.stderr


@needs_mini
def test_cls_labels_from_masks_on_voc_real_mini(tmp_path):
    out = tmp_path / 'cls.npy'
    proc = run_tool(osp.join(CONV, 'make_cls_labels.py'), '--data-root',
                    VOC_REAL_MINI, '--split', 'mini', '--from', 'masks',
                    '--out', out, '--compare',
                    osp.join(VOC_REAL_MINI, 'cls_labels.npy'))
    table = load_cls_labels(out)
    shipped = load_cls_labels(osp.join(VOC_REAL_MINI, 'cls_labels.npy'))
    assert sorted(table) == MINI_IDS
    for img_id in MINI_IDS:
        # by hand: the classes of the official mask, VOC's order
        mask = load_label_png(osp.join(VOC_REAL_MINI, 'SegmentationClassAug',
                                       img_id + '.png'))
        present = sorted(set(np.unique(mask)) - {0, 255})
        assert np.flatnonzero(table[img_id]).tolist() == \
            [int(v) - 1 for v in present]
        # these 4 images: the masks agree with the XML-derived labels
        np.testing.assert_array_equal(table[img_id], shipped[img_id])
    assert '0 of 4 images have different labels' in proc.stdout


def _write_xml(path, objects):
    body = ''.join(
        f'<object><name>{n}</name><difficult>{int(d)}</difficult>'
        '<part><name>head</name></part></object>' for n, d in objects)
    path.write_text(f'<annotation><filename>{path.stem}.jpg</filename>'
                    f'{body}</annotation>')


@needs_mini
def test_cls_labels_from_xml(tmp_path):
    shipped = load_cls_labels(osp.join(VOC_REAL_MINI, 'cls_labels.npy'))
    root = tmp_path / 'VOC2012'
    shutil.copytree(osp.join(VOC_REAL_MINI, 'ImageSets'), root / 'ImageSets')
    ann = root / 'Annotations'
    ann.mkdir()
    names = VOC_CLASSES[1:]
    for k, img_id in enumerate(MINI_IDS):
        objs = [(names[c], False) for c in np.flatnonzero(shipped[img_id])]
        objs = objs + objs[:1]            # an object listed twice
        if k == 0:
            objs.append(('cow', True))    # a difficult object
        _write_xml(ann / f'{img_id}.xml', objs)
    out = tmp_path / 'xml.npy'
    run_tool(osp.join(CONV, 'make_cls_labels.py'), '--data-root', root,
             '--split', 'mini', '--from', 'xml', '--out', out)
    table = load_cls_labels(out)
    cow = names.index('cow')
    for k, img_id in enumerate(MINI_IDS):
        expected = shipped[img_id].copy()
        if k == 0:
            expected[cow] = 1.0           # difficult objects count (IRN)
        np.testing.assert_array_equal(table[img_id], expected)
    run_tool(osp.join(CONV, 'make_cls_labels.py'), '--data-root', root,
             '--split', 'mini', '--from', 'xml', '--out', out,
             '--skip-difficult')
    for img_id in MINI_IDS:
        np.testing.assert_array_equal(load_cls_labels(out)[img_id],
                                      shipped[img_id])
    # a name that is not a class: refused, naming the file and the name
    _write_xml(ann / f'{MINI_IDS[1]}.xml', [('unicorn', False)])
    err = run_fail(osp.join(CONV, 'make_cls_labels.py'), '--data-root', root,
                   '--split', 'mini', '--from', 'xml', '--out', out)
    assert f'{MINI_IDS[1]}.xml' in err and "'unicorn'" in err


@needs_mini
def test_sbd_to_voc_aug(tmp_path):
    from scipy.io import savemat
    official = {i: load_label_png(osp.join(
        VOC_REAL_MINI, 'SegmentationClassAug', i + '.png')) for i in MINI_IDS}
    # a VOC root whose seg lists hold two of the ids (train 1, val 1)
    voc = tmp_path / 'VOC2012'
    seg = voc / 'ImageSets' / 'Segmentation'
    seg.mkdir(parents=True)
    (seg / 'train.txt').write_text(MINI_IDS[0] + '\n')
    (seg / 'val.txt').write_text(MINI_IDS[1] + '\n')
    (voc / 'SegmentationClass').mkdir()
    for i in MINI_IDS[:2]:
        shutil.copy(osp.join(VOC_REAL_MINI, 'SegmentationClassAug',
                             i + '.png'), voc / 'SegmentationClass')
    shutil.copytree(osp.join(VOC_REAL_MINI, 'JPEGImages'), voc / 'JPEGImages')
    # an SBD release: masks without the 255 band, as MATLAB GTcls structs
    sbd = tmp_path / 'benchmark_RELEASE' / 'dataset'
    (sbd / 'cls').mkdir(parents=True)
    sbd_masks = {}
    for i in MINI_IDS:
        m = official[i].copy()
        m[m == 255] = 0
        sbd_masks[i] = m
        savemat(sbd / 'cls' / f'{i}.mat', {'GTcls': {
            'Segmentation': m, 'Boundaries': np.zeros((1, 1)),
            'CategoriesPresent': np.unique(m)[1:]}})
    (sbd / 'train.txt').write_text('\n'.join(MINI_IDS[1:]) + '\n')
    (sbd / 'val.txt').write_text(MINI_IDS[0] + '\n')
    proc = run_tool(osp.join(CONV, 'sbd_to_voc_aug.py'), '--sbd-root',
                    sbd.parent, '--voc-root', voc)
    assert '2 masks from VOC, 2 from SBD' in proc.stdout
    aug = voc / 'SegmentationClassAug'
    for i in MINI_IDS[:2]:     # VOC's official masks, byte for byte
        assert (aug / f'{i}.png').read_bytes() == open(osp.join(
            VOC_REAL_MINI, 'SegmentationClassAug', i + '.png'), 'rb').read()
    for i in MINI_IDS[2:]:     # SBD's, value for value, as palette PNGs
        np.testing.assert_array_equal(load_label_png(aug / f'{i}.png'),
                                      sbd_masks[i])
        assert Image.open(aug / f'{i}.png').mode == 'P'
    # (SBD train + SBD val + VOC train) - VOC val
    assert (seg / 'train_aug.txt').read_text().split() == sorted(
        {MINI_IDS[0], MINI_IDS[2], MINI_IDS[3]})
    # a .mat that is not an SBD mask: the file is named
    savemat(sbd / 'cls' / f'{MINI_IDS[3]}.mat', {'other': np.zeros(2)})
    err = run_fail(osp.join(CONV, 'sbd_to_voc_aug.py'), '--sbd-root',
                   sbd.parent, '--voc-root', voc)
    assert f'{MINI_IDS[3]}.mat: no GTcls struct' in err


def _toy_photos(folder, n=6, size=40):
    """Images (jpg and png), masks (values in the class order fox, dog,
    cat) and the CSV of a toy tag folder."""
    rng = np.random.default_rng(0)
    (folder / 'images').mkdir(parents=True)
    (folder / 'masks').mkdir()
    rows = []
    for k in range(n):
        img = rng.integers(0, 255, (size, size + 8, 3), dtype=np.uint8)
        ext = '.png' if k % 2 else '.jpg'
        Image.fromarray(img).save(folder / 'images' / f'p{k}{ext}')
        mask = np.zeros((size, size + 8), np.uint8)
        name = ['cat', 'dog', 'fox'][k % 3]
        mask[5:15, 5:15] = ['fox', 'dog', 'cat'].index(name) + 1
        mask[0, :] = 255
        if k < 4:                         # the last two have no mask
            Image.fromarray(mask).save(folder / 'masks' / f'p{k}.png')
        tags = name
        if k == 1:
            tags += ';cat'                # the mask lacks the cat
        split = 'train_aug;train' if k < 2 else (
            'val' if k < 4 else '')       # '' -> --default-split
        rows.append(f'p{k}{ext},{tags},{split}')
    (folder / 'tags.csv').write_text('image,tags,split\n' +
                                     '\n'.join(rows) + '\n')


def test_tags_to_voc(tmp_path):
    _toy_photos(tmp_path / 'photos')
    out = tmp_path / 'VOC2012'
    proc = run_tool(osp.join(CONV, 'tags_to_voc.py'), '--images',
                    tmp_path / 'photos' / 'images', '--csv',
                    tmp_path / 'photos' / 'tags.csv', '--masks',
                    tmp_path / 'photos' / 'masks', '--classes', 'fox,dog,cat',
                    '--out', out)
    assert 'the tags of 1 images name other classes than their mask holds' \
        in proc.stdout
    assert read_class_names(out / 'classes.txt') == [
        'background', 'fox', 'dog', 'cat']
    labels = load_cls_labels(out / 'cls_labels.npy')
    # label order = --classes order: fox 0, dog 1, cat 2
    expected = {'p0': [0, 0, 1], 'p1': [0, 1, 1], 'p2': [1, 0, 0],
                'p3': [0, 0, 1], 'p4': [0, 1, 0], 'p5': [1, 0, 0]}
    assert {k: v.tolist() for k, v in labels.items()} == expected
    lists = out / 'ImageSets' / 'Segmentation'
    assert (lists / 'train_aug.txt').read_text().split() == [
        'p0', 'p1', 'p4', 'p5']
    assert (lists / 'train.txt').read_text().split() == ['p0', 'p1']
    assert (lists / 'val.txt').read_text().split() == ['p2', 'p3']
    for k in range(6):      # every image a JPEG of the same size
        with Image.open(out / 'JPEGImages' / f'p{k}.jpg') as img:
            assert img.format == 'JPEG' and img.size == (48, 40)
    # a JPEG is copied byte for byte, masks keep their values
    assert (out / 'JPEGImages' / 'p0.jpg').read_bytes() == \
        (tmp_path / 'photos' / 'images' / 'p0.jpg').read_bytes()
    for k in range(4):
        np.testing.assert_array_equal(
            load_label_png(out / 'SegmentationClassAug' / f'p{k}.png'),
            np.array(Image.open(tmp_path / 'photos' / 'masks' / f'p{k}.png')))
    assert not (out / 'SegmentationClassAug' / 'p4.png').exists()
    # default class order: the tags, sorted
    run_tool(osp.join(CONV, 'tags_to_voc.py'), '--images',
             tmp_path / 'photos' / 'images', '--csv',
             tmp_path / 'photos' / 'tags.csv', '--out', tmp_path / 'b')
    assert read_class_names(tmp_path / 'b' / 'classes.txt')[1:] == [
        'cat', 'dog', 'fox']


def test_tags_to_voc_errors_name_the_line(tmp_path):
    _toy_photos(tmp_path / 'photos')
    csv = tmp_path / 'photos' / 'tags.csv'
    lines = csv.read_text().splitlines()
    args = [osp.join(CONV, 'tags_to_voc.py'), '--images',
            tmp_path / 'photos' / 'images', '--csv', csv, '--out',
            tmp_path / 'out']
    csv.write_text('\n'.join(lines[:3] + ['p9.jpg,cat,'] + lines[3:]))
    err = run_fail(*args)
    assert 'tags.csv:4: image not found' in err and 'p9.jpg' in err
    csv.write_text('\n'.join(lines[:2] + ['p9.jpg,wolf,']))
    err = run_fail(*args, '--classes', 'cat,dog,fox')
    assert "tags.csv:3: tag(s) ['wolf'] are not among the classes" in err
    csv.write_text('\n'.join(lines[:2] + [lines[1]]))
    err = run_fail(*args)
    assert "tags.csv:3: image id 'p0' already on line 2" in err
    csv.write_text('img,labels\np0.jpg,cat\n')
    err = run_fail(*args)
    assert "no 'image' column" in err


@needs_mini
def test_tags_to_voc_on_voc_real_mini(tmp_path):
    """The 4 real photos, tagged with their shipped labels, with VOC's class
    order: the converted root has the same labels, images and masks."""
    shipped = load_cls_labels(osp.join(VOC_REAL_MINI, 'cls_labels.npy'))
    names = VOC_CLASSES[1:]
    rows = ['image,tags,split'] + [
        f'{i}.jpg,' + ';'.join(names[c] for c in np.flatnonzero(shipped[i]))
        + ',train_aug;train' for i in MINI_IDS]
    (tmp_path / 'tags.csv').write_text('\n'.join(rows) + '\n')
    out = tmp_path / 'VOC2012'
    proc = run_tool(osp.join(CONV, 'tags_to_voc.py'), '--images',
                    osp.join(VOC_REAL_MINI, 'JPEGImages'), '--csv',
                    tmp_path / 'tags.csv', '--masks',
                    osp.join(VOC_REAL_MINI, 'SegmentationClassAug'),
                    '--classes', 'voc', '--out', out)
    assert '4 images, 20 classes' in proc.stdout
    assert 'name other classes' not in proc.stdout   # tags = mask classes
    assert read_class_names(out / 'classes.txt') == list(VOC_CLASSES)
    labels = load_cls_labels(out / 'cls_labels.npy')
    for i in MINI_IDS:
        np.testing.assert_array_equal(labels[i], shipped[i])
        assert (out / 'JPEGImages' / f'{i}.jpg').read_bytes() == open(
            osp.join(VOC_REAL_MINI, 'JPEGImages', i + '.jpg'), 'rb').read()
        np.testing.assert_array_equal(
            load_label_png(out / 'SegmentationClassAug' / f'{i}.png'),
            load_label_png(osp.join(VOC_REAL_MINI, 'SegmentationClassAug',
                                    i + '.png')))
    # the evaluators read these names: the GT scores itself at 100
    proc = run_tool('tools/eval_labels.py', '--pred-dir',
                    out / 'SegmentationClassAug', '--data-root', out,
                    '--split', 'train')
    assert '| diningtable |' in proc.stdout and '| 100.00 |' in proc.stdout
