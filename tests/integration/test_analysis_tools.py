"""tools/analysis_tools (vis_cam, browse_labels, confusion_matrix) and
tools/mmseg_tool.py through their command lines, on the session toy data
and on the real VOC slice ../shared/data/voc_real_mini. Label folders are
derived from the GT in ways whose scores are known by hand; the classifier
of vis_cam is the toy CAM config with its initial weights."""
import csv
import os.path as osp
import shutil

import numpy as np
import pytest
import torch
from conftest import REPO, VOC_REAL_MINI, run_tool

from mmwsss.datasets.voc_layout import (TOY_CLASSES, VOC_CLASSES,
                                        load_cls_labels, read_split)
from mmwsss.utils.io import (load_label_png, read_image, save_cam_npz,
                             save_grey_png, save_label_png)

TOY_CFG = 'configs/cam/cam_r18-w16-s16_1xb8-60e_toy-160x160.py'


def _csv(path):
    with open(path, newline='') as f:
        return list(csv.reader(f))


def _labels_from_gt(voc, ids, out, drop_class):
    """pseudo = GT with ``drop_class`` set to background; fused = GT;
    saliency = foreground of the GT. Returns the three folders."""
    dirs = {k: osp.join(out, k) for k in ('pseudo', 'fused', 'sal')}
    for img_id in ids:
        gt = load_label_png(osp.join(voc, 'SegmentationClassAug',
                                     img_id + '.png'))
        save_label_png(osp.join(dirs['pseudo'], img_id + '.png'),
                       np.where(gt == drop_class, 0, gt).astype(np.uint8))
        save_label_png(osp.join(dirs['fused'], img_id + '.png'), gt)
        save_grey_png(osp.join(dirs['sal'], img_id + '.png'),
                      ((gt > 0) & (gt < 255)).astype(np.uint8) * 255)
    return dirs


def _hand_miou(gt, pred, n):
    """Per-image mIoU over the classes in GT or prediction, GT 255 out."""
    keep = gt != 255
    ious = []
    for c in range(n):
        g, p = (gt == c) & keep, (pred == c) & keep
        if g.any() or p.any():
            ious.append((g & p).sum() / (g | p).sum())
    return 100 * np.mean(ious)


@pytest.mark.parametrize('dataset', ['toy', 'voc_real_mini'])
def test_browse_labels_worst_k_and_list(dataset, toy_root, tmp_path):
    if dataset == 'toy':
        voc, split, drop = osp.join(toy_root, 'VOC2012'), 'val', 1  # ball
        names = TOY_CLASSES
    else:
        voc, split, drop = VOC_REAL_MINI, 'mini', 15  # person
        names = VOC_CLASSES
    ids = read_split(voc, split)[1]
    dirs = _labels_from_gt(voc, ids, str(tmp_path), drop)
    out = tmp_path / 'browse'
    run_tool('tools/analysis_tools/browse_labels.py', '--data-root', voc,
             '--split', split, '--worst-k', 3, '--pseudo-dir',
             dirs['pseudo'], '--sal-dir', dirs['sal'], '--fused-dir',
             dirs['fused'], '--out', out)
    rows = _csv(out / 'index.csv')
    assert rows[0] == ['id', 'pseudo_mIoU', 'fused_mIoU']
    # the hand-computed per-image mIoU of every image: the 3 lowest, worst
    # first; the fused labels are the GT (100)
    hand = {}
    for img_id in ids:
        gt = load_label_png(osp.join(voc, 'SegmentationClassAug',
                                     img_id + '.png'))
        pseudo = np.where(gt == drop, 0, gt)
        hand[img_id] = _hand_miou(gt, pseudo, len(names))
    worst = sorted(ids, key=lambda i: (hand[i], i))[:3]
    assert [r[0] for r in rows[1:]] == worst
    for img_id, pseudo, fused in rows[1:]:
        assert float(pseudo) == pytest.approx(hand[img_id], abs=0.01)
        assert float(fused) == pytest.approx(100.0)
    assert min(hand.values()) < 100  # the dropped class is in the split
    # one picture per image: 5 square tiles side by side + a legend below
    pic = read_image(str(out / f'{worst[0]}.png'))
    assert pic.shape[1] == 5 * 192 + 4 * 4 and pic.shape[0] > 192 + 18

    if dataset != 'toy':
        return
    # a chosen list, no saliency: image | pseudo-label | GT
    run_tool('tools/analysis_tools/browse_labels.py', '--data-root', voc,
             '--ids', ids[0], '--pseudo-dir', dirs['pseudo'], '--out',
             tmp_path / 'one', '--tile-size', 64)
    pic = read_image(str(tmp_path / 'one' / f'{ids[0]}.png'))
    assert pic.shape[1] == 3 * 64 + 2 * 4


@pytest.mark.parametrize('dataset', ['toy', 'voc_real_mini'])
def test_confusion_matrix_counts_and_names(dataset, toy_root, tmp_path):
    if dataset == 'toy':
        voc, split, drop, names = (osp.join(toy_root, 'VOC2012'), 'val', 1,
                                   TOY_CLASSES)
    else:
        voc, split, drop, names = VOC_REAL_MINI, 'mini', 15, VOC_CLASSES
    ids = read_split(voc, split)[1]
    dirs = _labels_from_gt(voc, ids, str(tmp_path), drop)
    out = tmp_path / 'cm' / 'pseudo'
    run_tool('tools/analysis_tools/confusion_matrix.py', '--pred-dir',
             dirs['pseudo'], '--data-root', voc, '--split', split,
             '--out', out)
    rows = _csv(str(out) + '.csv')
    # the dataset's own class names (from its cls_labels.npy), not VOC's
    assert rows[0] == ['gt \\ pred', *names]
    assert [r[0] for r in rows[1:]] == list(names)
    cm = np.array([[int(v) for v in r[1:]] for r in rows[1:]])
    # by hand: the dropped class's pixels all went to background, every
    # other pixel is on the diagonal
    counts = np.zeros(len(names), np.int64)
    for img_id in ids:
        gt = load_label_png(osp.join(voc, 'SegmentationClassAug',
                                     img_id + '.png'))
        counts += np.bincount(gt[gt != 255].ravel(),
                              minlength=len(names))[:len(names)]
    assert counts[drop] > 0
    expected = np.diag(counts)
    expected[drop, drop] = 0
    expected[drop, 0] = counts[drop]
    np.testing.assert_array_equal(cm, expected)
    png = open(str(out) + '.png', 'rb').read()
    assert png[:8] == b'\x89PNG\r\n\x1a\n' and len(png) > 10000


@pytest.fixture(scope='module')
def init_classifier(tmp_path_factory):
    """The toy CAM classifier's initial weights as a checkpoint, for
    ``num_classes`` foreground classes: ``{n: checkpoint}``."""
    import mmwsss.mm_components  # noqa: F401
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS
    out = tmp_path_factory.mktemp('init_cls')
    ckpts = {}
    for n in (6, 20):
        cfg = Config.fromfile(osp.join(REPO, TOY_CFG))
        cfg.model.head.num_classes = n
        init_default_scope('mmpretrain')
        torch.manual_seed(0)
        model = MODELS.build(cfg.model)
        ckpts[n] = str(out / f'init_{n}.pth')
        torch.save(dict(state_dict=model.state_dict(), meta={}), ckpts[n])
    return ckpts


def _probs(ckpt, img_path, num_classes):
    """The classifier's probabilities, computed here."""
    from mmwsss.apis.classifier import CAMModel
    model = CAMModel(osp.join(REPO, TOY_CFG), ckpt, 'cpu',
                     {'model.head.num_classes': num_classes})
    with torch.inference_mode():
        logits = model.model.head(model.model.extract_feat(
            model.prepare(read_image(img_path))))
    return torch.sigmoid(logits).flatten().numpy()


@pytest.mark.parametrize('dataset', ['toy', 'voc_real_mini'])
def test_vis_cam_from_a_classifier(dataset, toy_root, init_classifier,
                                   tmp_path):
    if dataset == 'toy':
        voc, n, names = osp.join(toy_root, 'VOC2012'), 6, TOY_CLASSES
        ids = read_split(voc, 'val')[1][:2]
    else:
        voc, n, names = VOC_REAL_MINI, 20, VOC_CLASSES
        ids = read_split(voc, 'mini')[1][:2]
    ckpt = init_classifier[n]
    opts = ['--cfg-options', f'model.head.num_classes={n}']
    # ids of a data root: the image-level label's classes
    out = tmp_path / 'ids'
    run_tool('tools/analysis_tools/vis_cam.py', TOY_CFG, ckpt, '--data-root',
             voc, '--ids', *ids, '--scales', 1.0, '--out', out, *opts)
    table = load_cls_labels(osp.join(voc, 'cls_labels.npy'))
    rows = _csv(out / 'index.csv')[1:]
    assert [r[0] for r in rows] == ids
    for img_id, classes, source, probs in rows:
        want = [names[k + 1] for k in np.flatnonzero(table[img_id] > 0.5)]
        assert classes.split() == want and source == 'label'
        pic = read_image(str(out / f'{img_id}.png'))
        # image + one tile per class + the colour bar, 192 px high + caption
        assert pic.shape[0] == 192 + 18
        assert pic.shape[1] > (1 + len(want)) * 196
    if dataset != 'toy':
        return
    # an image folder (no labels): the predicted classes, p >= thr
    folder = tmp_path / 'imgs'
    folder.mkdir()
    for img_id in ids:
        shutil.copy(osp.join(voc, 'JPEGImages', img_id + '.jpg'), folder)
    out = tmp_path / 'folder'
    run_tool('tools/analysis_tools/vis_cam.py', TOY_CFG, ckpt, '--img-dir',
             folder, '--scales', 1.0, '--no-flip', '--score-thr', 0.5,
             '--out', out, *opts)
    rows = _csv(out / 'index.csv')[1:]
    for img_id, classes, source, probs in rows:
        p = _probs(ckpt, str(folder / f'{img_id}.jpg'), n)
        keys = np.flatnonzero(p >= 0.5)
        keys = keys if len(keys) else [int(np.argmax(p))]
        assert source == 'predicted'
        assert classes.split() == [names[k + 1] for k in keys]
        np.testing.assert_allclose([float(v) for v in probs.split()],
                                   p[keys], atol=1e-3)


def test_vis_cam_draws_stage_cam_files(toy_root, tmp_path):
    """A CAM that is 1 on the left half, 0 on the right: the heat map is
    red on the left, blue on the right, over the image; --target-class
    keeps that class of the two in the file."""
    voc = osp.join(toy_root, 'VOC2012')
    img_id = read_split(voc, 'val')[1][0]
    img = read_image(osp.join(voc, 'JPEGImages', img_id + '.jpg'))
    h, w = img.shape[:2]
    cam = np.zeros((2, h, w), np.float32)
    cam[1, :, :w // 2] = 1
    cam[0] = 1 - cam[1]
    cams = tmp_path / 'cams'
    save_cam_npz(str(cams / f'{img_id}.npz'), np.array([0, 2]), cam)
    out = tmp_path / 'out'
    run_tool('tools/analysis_tools/vis_cam.py', '--cam-dir', cams,
             '--data-root', voc, '--ids', img_id, '--tile-size', 96,
             '--target-class', TOY_CLASSES[3], '--out', out)
    assert _csv(out / 'index.csv')[1] == [img_id, TOY_CLASSES[3], 'target',
                                          '']
    pic = read_image(str(out / f'{img_id}.png')).astype(int)
    assert pic.shape[1] < 3 * 100 + 60  # image, one CAM, the colour bar
    tile = pic[18:, 96 + 4:2 * 96 + 4]  # the CAM tile under its caption
    left, right = tile[:, 10:38].mean((0, 1)), tile[:, 58:86].mean((0, 1))
    assert left[2] > left[0] + 60   # red > blue (BGR)
    assert right[0] > right[2] + 60  # blue > red


def test_mmseg_tool_runs_print_config(tmp_path):
    proc = run_tool('tools/mmseg_tool.py', 'print_config',
                    'configs/seg/deeplabv3plus_r18w32-d16_1xb8-1200_'
                    'toy-pseudo-64x64.py')
    assert "type='EncoderDecoder'" in proc.stdout or \
        'EncoderDecoder' in proc.stdout
    assert 'VOCPseudoLabelDataset' in proc.stdout or 'pseudo' in proc.stdout
    with pytest.raises(AssertionError, match='no tool'):
        run_tool('tools/mmseg_tool.py', 'no_such_tool')
