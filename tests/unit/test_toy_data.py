"""The procedural toy dataset (tools/make_toy_data.py): exact VOC / DUTS
layouts, determinism, and the properties that make it a WSSS test bed
(rails under trains, low-contrast chairs, discriminative markers, boundary
band, single- and multi-class images). Also: the real VOC slice reads with
the same loaders."""
import hashlib
import importlib.util
import json
import os
import os.path as osp
import sys

import cv2
import numpy as np
import pytest
from PIL import Image

from conftest import REPO, TOY_NUM_IMAGES, TOY_SIZE, VOC_REAL_MINI
from mmwsss.datasets.toy_metainfo import TOY_CLASSES as META_CLASSES
from mmwsss.datasets.toy_metainfo import TOY_PALETTE

# the generator lives beside its tool (tools/toy_data/), outside the package
sys.path.insert(0, osp.join(REPO, 'tools'))
from toy_data import (CLASS_NAMES, band_kernel_size,  # noqa: E402
                      boundary_band, render_scene, scene_rng)
from mmwsss.datasets.voc_layout import TOY_CLASSES
from mmwsss.utils import (VOC_PALETTE, labels_from_mask, load_cls_labels,
                          load_label_png, read_image_list)

TRAIN = TOY_CLASSES.index('train')
CHAIR = TOY_CLASSES.index('chair')


def _tool():
    spec = importlib.util.spec_from_file_location(
        'make_toy_data', osp.join(REPO, 'tools', 'make_toy_data.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _make(out, *extra):
    _tool().main(['--out', str(out), '--no-progress', *map(str, extra)])
    return str(out)


def _hashes(root):
    out = {}
    for folder, _, files in os.walk(root):
        for f in files:
            path = osp.join(folder, f)
            with open(path, 'rb') as fh:
                out[osp.relpath(path, root)] = hashlib.sha256(
                    fh.read()).hexdigest()
    return out


def _voc(toy_root):
    return osp.join(toy_root, 'VOC2012')


def _lists(toy_root):
    seg = osp.join(_voc(toy_root), 'ImageSets', 'Segmentation')
    return {n: read_image_list(osp.join(seg, n + '.txt'))
            for n in ('train', 'train_aug', 'val')}


def _meta(toy_root):
    with open(osp.join(toy_root, 'meta.json')) as f:
        return json.load(f)


@pytest.fixture(scope='module')
def small_pair(tmp_path_factory):
    """Two runs with the same tiny arguments and one with another seed."""
    base = tmp_path_factory.mktemp('toy_small')
    args = ('--num-images', 12, '--size', 64)
    a = _make(base / 'a', '--seed', 3, *args)
    b = _make(base / 'b', '--seed', 3, *args)
    c = _make(base / 'c', '--seed', 4, *args)
    return a, b, c


# --- determinism and resume ------------------------------------------------

def test_same_seed_same_bytes(small_pair):
    a, b, _ = small_pair
    ha, hb = _hashes(a), _hashes(b)
    # images, masks, lists, cls_labels, classes.txt, meta
    assert len(ha) == 2 * 12 + 2 * 12 + 3 + 1 + 1 + 1
    assert ha == hb


def test_different_seed_different_data(small_pair):
    a, _, c = small_pair
    ha, hc = _hashes(a), _hashes(c)
    assert ha.keys() == hc.keys()
    images = [k for k in ha if k.endswith('.jpg')]
    assert all(ha[k] != hc[k] for k in images)
    assert ha[osp.join('VOC2012', 'cls_labels.npy')] != \
        hc[osp.join('VOC2012', 'cls_labels.npy')]


def test_resume_keeps_files_and_refuses_other_args(small_pair, tmp_path):
    a, _, _ = small_pair
    out = tmp_path / 'r'
    _make(out, '--seed', 3, '--num-images', 12, '--size', 64)
    victim = out / 'VOC2012' / 'JPEGImages' / 'toy_000005.jpg'
    victim.unlink()
    _make(out, '--seed', 3, '--num-images', 12, '--size', 64)  # resumes
    assert _hashes(str(out)) == _hashes(a)
    with pytest.raises(ValueError, match='meta.json.*empty --out'):
        _make(out, '--seed', 3, '--num-images', 12, '--size', 96)


def test_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match='num-images'):
        _make(tmp_path / 'x', '--num-images', 2)
    with pytest.raises(ValueError, match='size'):
        _make(tmp_path / 'y', '--size', 16)


def test_duts_part_differs_from_voc_part(small_pair):
    a, _, _ = small_pair
    h = _hashes(a)
    voc = {v for k, v in h.items() if k.startswith('VOC2012') and
           k.endswith('.jpg')}
    duts = {v for k, v in h.items() if k.startswith('DUTS') and
            k.endswith('.jpg')}
    assert len(voc) == 12 and len(duts) == 12 and not voc & duts


# --- VOC layout and format -------------------------------------------------

def test_split_lists(toy_root):
    lists = _lists(toy_root)
    train, aug, val = (set(lists[n]) for n in ('train', 'train_aug', 'val'))
    for name, ids in lists.items():
        assert len(ids) == len(set(ids)), f'duplicates in {name}'
        assert all(i.startswith('toy_') for i in ids)
    assert train and train < aug
    assert not aug & val
    assert len(aug | val) == TOY_NUM_IMAGES
    assert abs(len(val) - 0.3 * TOY_NUM_IMAGES) <= 1
    for i in aug | val:
        assert osp.isfile(osp.join(_voc(toy_root), 'JPEGImages', i + '.jpg'))
        assert osp.isfile(osp.join(_voc(toy_root), 'SegmentationClassAug',
                                   i + '.png'))


def test_masks_are_voc_palette_pngs(toy_root):
    ids = _lists(toy_root)['train_aug'] + _lists(toy_root)['val']
    meta = _meta(toy_root)['voc']['images']
    k = band_kernel_size(TOY_SIZE)
    for i in ids:
        png = Image.open(osp.join(_voc(toy_root), 'SegmentationClassAug',
                                  i + '.png'))
        assert png.mode == 'P'
        pal = np.array(png.getpalette()[:768], np.uint8).reshape(-1, 3)
        np.testing.assert_array_equal(pal, VOC_PALETTE[:len(pal)])
        img = Image.open(osp.join(_voc(toy_root), 'JPEGImages', i + '.jpg'))
        assert img.mode == 'RGB' and img.format == 'JPEG'
        assert img.size == png.size == (TOY_SIZE, TOY_SIZE)
        mask = np.array(png)
        values = set(np.unique(mask).tolist())
        assert values <= set(range(len(TOY_CLASSES))) | {255}, values
        assert values & set(range(1, len(TOY_CLASSES))), f'{i}: no object'
        assert 255 in values, f'{i}: no boundary band'
        # the band separates every two different labels (4-neighbours)
        for a, b in ((mask[:, 1:], mask[:, :-1]), (mask[1:], mask[:-1])):
            touch = (a != b) & (a != 255) & (b != 255)
            assert not touch.any(), f'{i}: classes touch without a band'
        # ... and lies only along object outlines (thin parts, like chair
        # legs, may vanish into it, as in VOC)
        near = np.zeros_like(mask, dtype=bool)
        for o in meta[i]['objects']:
            x0, y0, x1, y1 = o['bbox']
            near[max(0, y0 - k):y1 + k, max(0, x0 - k):x1 + k] = True
        assert not ((mask == 255) & ~near).any(), f'{i}: stray 255'


def test_toy_metainfo_matches_the_written_data(toy_root):
    # the package's one toy metainfo names the generator's classes, in the
    # order of the label values, with the colours the masks are drawn in
    assert META_CLASSES == TOY_CLASSES == ('background',) + CLASS_NAMES
    assert _meta(toy_root)['classes'] == list(META_CLASSES)
    # and the data names them where the evaluators look (classes.txt)
    from mmwsss.datasets.voc_layout import read_class_names
    assert read_class_names(osp.join(_voc(toy_root), 'classes.txt')) == \
        list(TOY_CLASSES)
    png = Image.open(osp.join(_voc(toy_root), 'SegmentationClassAug',
                              _lists(toy_root)['val'][0] + '.png'))
    pal = np.array(png.getpalette()[:3 * len(TOY_PALETTE)]).reshape(-1, 3)
    np.testing.assert_array_equal(pal, np.array(TOY_PALETTE))


def test_band_width_scales_with_size():
    assert band_kernel_size(160) == 4 and band_kernel_size(320) == 7
    for size, width in ((160, 3), (320, 6), (64, 1)):
        inst = np.zeros((size, size), np.int16)
        inst[size // 4:3 * size // 4, size // 4:3 * size // 4] = 1
        band = boundary_band(inst, size)
        row = band[size // 2]
        assert row.sum() == 2 * width, (size, row.sum())
        assert row[size // 4 - 1] or row[size // 4]  # straddles the edge


def test_cls_labels_agree_with_masks(toy_root):
    labels = load_cls_labels(osp.join(_voc(toy_root), 'cls_labels.npy'))
    lists = _lists(toy_root)
    assert set(labels) == set(lists['train_aug']) | set(lists['val'])
    counts = []
    for i, vec in labels.items():
        assert vec.dtype == np.float32 and vec.shape == (6,)
        mask = load_label_png(osp.join(_voc(toy_root), 'SegmentationClassAug',
                                       i + '.png'))
        np.testing.assert_array_equal(vec, labels_from_mask(mask, 6))
        counts.append(int(vec.sum()))
    counts = np.array(counts)
    assert counts.min() >= 1 and counts.max() <= 3
    single = (counts == 1).mean()
    assert 0.4 <= single <= 0.9, single      # ~65 % single-class
    assert (counts >= 2).sum() >= 3
    assert all(sum(v[c] for v in labels.values()) > 0 for c in range(6))


def test_meta_describes_the_set(toy_root):
    meta = _meta(toy_root)
    assert meta['args'] == dict(seed=0, num_images=TOY_NUM_IMAGES,
                                size=TOY_SIZE, num_duts=TOY_NUM_IMAGES)
    assert meta['complete'] and meta['classes'] == list(TOY_CLASSES)
    voc = meta['voc']
    assert voc['single_class_images'] + voc['multi_class_images'] == \
        TOY_NUM_IMAGES
    labels = load_cls_labels(osp.join(_voc(toy_root), 'cls_labels.npy'))
    for c, name in enumerate(CLASS_NAMES):
        assert voc['images_per_class'][name] == sum(v[c] for v in
                                                    labels.values())


# --- what makes it WSSS-hard -------------------------------------------------

def test_every_train_stands_on_rails(toy_root):
    """Every train stands on rails; a few images show an empty track
    (rails are strong, not perfect, evidence of a train)."""
    meta = _meta(toy_root)['voc']['images']
    n_train = n_empty = 0
    for i, info in meta.items():
        mask = load_label_png(osp.join(_voc(toy_root), 'SegmentationClassAug',
                                       i + '.png'))
        has_train = (mask == TRAIN).any()
        if has_train:
            assert info['rails'] is not None, i
            n_train += 1
        elif info['rails'] is not None:
            n_empty += 1
        else:
            continue
        y, h = info['rails']['y'], info['rails']['height']
        img = np.asarray(Image.open(osp.join(_voc(toy_root), 'JPEGImages',
                                             i + '.jpg')), np.float32)
        rows = slice(int(np.ceil(y)) + 1, int(np.floor(y + h)))
        # the track is background (never train) ...
        assert not (mask[rows] == TRAIN).any(), i
        # ... and runs across the image: a grey steel line on top, where no
        # object hides it, above a darker bed of sleepers and ballast
        free = (mask[int(y) - 1:int(y + h) + 2] == 0).all(0)
        assert free.mean() > 0.1, i  # trains span up to 80 % of it
        top = img[int(np.floor(y)):int(np.floor(y)) + 2][:, free]
        bright = top.mean(-1).max(0)
        chroma = (top.max(-1) - top.min(-1)).min(0)
        bed = img[rows][:, free].mean(-1).mean(0)
        assert np.median(bright) > 120, (i, np.median(bright))
        assert np.median(chroma) < 45, (i, np.median(chroma))
        assert np.median(bright - bed) > 30, i
    assert n_train >= 3
    assert n_empty < n_train


def _contrast(img, vis, size, body=None):
    """Colour distance between an object's interior (only its ``body``
    pixels when given) and the ring around it (what it is seen against)."""
    k = max(2, size // 40)
    inner = cv2.erode(vis.astype(np.uint8), np.ones((k, k), np.uint8)) > 0
    if body is not None:
        inner &= body
    ring = (cv2.dilate(vis.astype(np.uint8), np.ones((3 * k, 3 * k),
                                                     np.uint8)) > 0) & ~vis
    if inner.sum() < 4 or ring.sum() < 4:
        return None
    return float(np.linalg.norm(img[inner].mean(0) - img[ring].mean(0)))


def test_chairs_are_low_contrast_and_objects_carry_markers():
    """Rendered in-process: the contrast of each object's body (its marker
    left out) with the surroundings, and the size of the discriminative
    marker (calibrated so that CAMs reach VOC's regime, docs/toy_data.md:
    about a fifth to a third of the object, spread over it)."""
    size = 96
    contrast = {n: [] for n in CLASS_NAMES}
    marker = {n: [] for n in CLASS_NAMES}
    for i in range(60):
        rng = scene_rng(11, 0, i)
        image, label, _, info, maps = render_scene(rng, size, maps=True)
        img = image.astype(np.float32)
        for k, o in enumerate(info['objects']):
            vis = maps['instance'] == k
            c = _contrast(img, vis, size, body=~maps['marker'])
            if c is not None:
                contrast[o['cls']].append(c)
            marker[o['cls']].append(o['marker_fraction'])
            np.testing.assert_allclose(
                o['marker_fraction'], (maps['marker'] & vis).sum()
                / vis.sum(), atol=1e-4)
    chair = np.median(contrast['chair'])
    others = np.median(sum((contrast[n] for n in CLASS_NAMES
                            if n != 'chair'), []))
    assert len(contrast['chair']) >= 5
    assert chair < 0.6 * others, (chair, others)
    for name, fr in marker.items():
        assert 0.12 <= np.median(fr) <= 0.4, (name, np.median(fr))


def test_render_scene_is_a_pure_function_of_its_rng():
    a = render_scene(scene_rng(5, 0, 7), 64)
    b = render_scene(scene_rng(5, 0, 7), 64)
    c = render_scene(scene_rng(5, 0, 8), 64)
    for x, y in zip(a[:3], b[:3]):
        np.testing.assert_array_equal(x, y)
    assert a[3] == b[3]
    assert not np.array_equal(a[0], c[0])


def test_scene_maps_agree_with_label_and_info():
    for i in range(12):
        image, label, sal, info, maps = render_scene(scene_rng(2, 0, i), 80,
                                                     maps=True)
        inst, marker, rails = maps['instance'], maps['marker'], maps['rails']
        assert inst.shape == label.shape == (80, 80)
        known = label != 255
        classes = np.array([o['label'] for o in info['objects']] + [0])
        np.testing.assert_array_equal(classes[inst][known], label[known])
        assert marker.any() and not (marker & (inst < 0)).any()
        assert not (rails & (inst >= 0)).any()
        assert rails.any() == (info['rails'] is not None)
        if 'train' in info['classes']:
            assert rails.any()
        for k, o in enumerate(info['objects']):
            assert (inst == k).sum() == o['area']


# --- DUTS layout -------------------------------------------------------------

def test_duts_pairs_and_binary_masks(toy_root):
    meta = _meta(toy_root)
    counts = {}
    for part in ('DUTS-TR', 'DUTS-TE'):
        folder = osp.join(toy_root, 'DUTS', part)
        imgs = sorted(os.listdir(osp.join(folder, f'{part}-Image')))
        masks = sorted(os.listdir(osp.join(folder, f'{part}-Mask')))
        assert [osp.splitext(f)[0] for f in imgs] == \
            [osp.splitext(f)[0] for f in masks]
        assert all(f.endswith('.jpg') for f in imgs)
        assert all(f.endswith('.png') for f in masks)
        counts[part] = len(imgs)
        for f in masks:
            png = Image.open(osp.join(folder, f'{part}-Mask', f))
            assert png.mode == 'L'
            m = np.array(png)
            assert set(np.unique(m).tolist()) == {0, 255}, f
            img = Image.open(osp.join(folder, f'{part}-Image',
                                      f[:-4] + '.jpg'))
            assert img.size == png.size == (TOY_SIZE, TOY_SIZE)
    assert counts['DUTS-TR'] + counts['DUTS-TE'] == TOY_NUM_IMAGES
    assert counts['DUTS-TR'] == meta['duts']['train']
    assert abs(counts['DUTS-TE'] - 0.2 * TOY_NUM_IMAGES) <= 1


def test_duts_masks_hold_objects_not_rails_nor_most_chairs(toy_root):
    images = _meta(toy_root)['duts']['images']
    chairs = [o['salient'] for v in images.values() for o in v['objects']
              if o['cls'] == 'chair']
    others = [o['salient'] for v in images.values() for o in v['objects']
              if o['cls'] != 'chair']
    assert all(others) and len(chairs) >= 3
    assert np.mean(chairs) < 0.5
    for i, v in images.items():
        part = 'DUTS-TE' if '_te_' in i else 'DUTS-TR'
        m = np.array(Image.open(osp.join(toy_root, 'DUTS', part,
                                         f'{part}-Mask', i + '.png')))
        if v['rails'] is not None:  # the track (below the steel) is not
            y, h = v['rails']['y'], v['rails']['height']
            track = m[int(np.ceil(y)) + 1:int(np.floor(y + h))]
            # columns of the track that no object (train or other) covers
            top, bottom = int(np.ceil(y)) + 1, int(np.floor(y + h))
            outside = np.ones(track.shape[1], bool)
            for o in v['objects']:
                x0, y0, x1, y1 = o['bbox']
                if o['cls'] == 'train' or (y0 < bottom and y1 > top):
                    outside[x0:x1] = False
            if outside.any():
                assert track[:, outside].mean() < 0.5 * 255, i
        for o in v['objects']:  # masks cover the salient objects' boxes
            x0, y0, x1, y1 = o['bbox']
            cover = (m[y0:y1, x0:x1] == 255).mean()
            if o['salient']:
                assert cover > 0.2, (i, o)


# --- the real VOC slice reads with the same loaders --------------------------

def test_real_voc_slice_loads():
    ids = read_image_list(osp.join(VOC_REAL_MINI, 'ImageSets',
                                   'Segmentation', 'mini.txt'))
    assert len(ids) == 4
    labels = load_cls_labels(osp.join(VOC_REAL_MINI, 'cls_labels.npy'))
    train_aug = read_image_list(osp.join(VOC_REAL_MINI, 'ImageSets',
                                         'Segmentation', 'train_aug.txt'))
    assert len(train_aug) == 10582 and set(ids) <= set(train_aug)
    for i in ids:
        png = Image.open(osp.join(VOC_REAL_MINI, 'SegmentationClassAug',
                                  i + '.png'))
        assert png.mode == 'P'
        mask = load_label_png(osp.join(VOC_REAL_MINI, 'SegmentationClassAug',
                                       i + '.png'))
        img = Image.open(osp.join(VOC_REAL_MINI, 'JPEGImages', i + '.jpg'))
        assert img.size == (mask.shape[1], mask.shape[0])
        values = set(np.unique(mask).tolist())
        assert values <= set(range(21)) | {255} and 255 in values
        vec = labels[i]
        assert vec.shape == (20,) and vec.dtype == np.float32
        # VOC's XML labels may list more classes than the mask holds
        from_mask = labels_from_mask(mask, 20)
        assert (from_mask <= vec).all(), i
