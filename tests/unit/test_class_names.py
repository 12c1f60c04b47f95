"""Class names come from the dataset (classes.txt) or the config, not from a
table in the code: the spec parser, the file format, the evaluators, the
pipeline's --classes and the mm datasets' metainfo."""
import numpy as np
import pytest
from PIL import Image

from mmwsss.datasets.voc_layout import (CLASSES_FILE, TOY_CLASSES,
                                        VOC_CLASSES, class_names_for,
                                        metainfo, parse_classes,
                                        read_class_names, resolve_class_names,
                                        save_cls_labels, write_class_names)
from mmwsss.utils.io import save_label_png

FRUIT = ['background', 'lemon', 'grape', 'leaf']


def test_parse_classes_specs(tmp_path):
    assert parse_classes('voc') == list(VOC_CLASSES)
    assert parse_classes('toy') == list(TOY_CLASSES)
    assert parse_classes('lemon,grape,leaf') == FRUIT
    assert parse_classes(' lemon , grape,leaf') == FRUIT
    assert parse_classes(('lemon', 'grape', 'leaf')) == FRUIT
    assert parse_classes(['background', 'lemon', 'grape', 'leaf']) == FRUIT
    path = tmp_path / 'classes.txt'
    path.write_text('# my classes\nlemon\n\ngrape  # purple\nleaf\n')
    assert parse_classes(str(path)) == FRUIT
    # relative to a data root
    assert parse_classes('classes.txt', str(tmp_path)) == FRUIT
    assert metainfo('lemon,grape,leaf', background=False) == dict(
        classes=('lemon', 'grape', 'leaf'))


@pytest.mark.parametrize('spec, message', [
    ('lemon,lemon', 'listed twice'),
    ('lemon,,leaf', 'empty class name'),
    ('lemon,background', "'background' can only be the first"),
    ('vocc', 'not a built-in set'),
    (['background'], 'no class names'),
    (3, 'must be a name, a file or a list'),
])
def test_parse_classes_refuses(spec, message):
    with pytest.raises(ValueError, match=message):
        parse_classes(spec)


def test_class_file_round_trip(tmp_path):
    path = tmp_path / 'sub' / 'classes.txt'
    write_class_names(str(path), FRUIT)        # background not written
    assert path.read_text() == 'lemon\ngrape\nleaf\n'
    assert read_class_names(str(path)) == FRUIT
    path.write_text('background\nlemon\n')
    assert read_class_names(str(path)) == ['background', 'lemon']
    with pytest.raises(FileNotFoundError, match='class name file not found'):
        read_class_names(str(tmp_path / 'none.txt'))


def test_resolve_reads_the_dataset_file(tmp_path):
    # no classes.txt: from the count (VOC's 20 labels), as before
    voc = tmp_path / 'voc'
    save_cls_labels(str(voc / 'cls_labels.npy'), {'a': np.zeros(20)})
    assert resolve_class_names(data_root=str(voc)) == list(VOC_CLASSES)
    root = tmp_path / 'VOC2012'
    write_class_names(str(root / CLASSES_FILE), FRUIT[1:])
    assert resolve_class_names(data_root=str(root)) == FRUIT
    assert resolve_class_names(num_classes=4, data_root=str(root)) == FRUIT
    # an explicit spec wins over the file
    assert resolve_class_names('a,b,c', data_root=str(root)) == [
        'background', 'a', 'b', 'c']
    with pytest.raises(ValueError, match='has 4 classes .* is 7'):
        resolve_class_names(num_classes=7, data_root=str(root))
    assert class_names_for(3, str(root)) == FRUIT[1:]
    with pytest.raises(ValueError, match='names 3 classes but the '
                       'image-level labels have 5'):
        class_names_for(5, str(root))
    assert class_names_for(6) == list(TOY_CLASSES[1:])


def _tiny_root(root):
    """A 2-image VOC root with 3 classes and a classes.txt."""
    seg = root / 'ImageSets' / 'Segmentation'
    seg.mkdir(parents=True)
    (seg / 'train.txt').write_text('a\nb\n')
    gt = np.zeros((4, 4), np.uint8)
    gt[:2] = 1
    gt[2:, :2] = 3
    for i in 'ab':
        save_label_png(str(root / 'SegmentationClassAug' / f'{i}.png'), gt)
    save_cls_labels(str(root / 'cls_labels.npy'),
                    {'a': [1, 0, 1], 'b': [1, 0, 1]})
    write_class_names(str(root / CLASSES_FILE), FRUIT[1:])
    return gt


def test_evaluators_name_the_dataset_classes(tmp_path):
    from mmwsss.evaluation.functional.label_eval import evaluate_labels
    root = tmp_path / 'VOC2012'
    gt = _tiny_root(root)
    pred = gt.copy()
    pred[3, 3] = 2                        # one pixel called grape
    for i in 'ab':
        save_label_png(str(tmp_path / 'pred' / f'{i}.png'), pred)
    data = evaluate_labels(str(tmp_path / 'pred'), str(root), 'train',
                           log=lambda *a: None)
    assert data['class_names'] == FRUIT
    assert data['IoU']['lemon'] == 1.0
    assert data['IoU']['leaf'] == 1.0
    # background: 3 of its 4 pixels kept, none added: 3 / 4
    assert data['IoU']['background'] == pytest.approx(3 / 4)
    assert data['IoU']['grape'] == 0.0
    # --classes overrides the file
    data = evaluate_labels(str(tmp_path / 'pred'), str(root), 'train',
                           classes='w,x,y', log=lambda *a: None)
    assert list(data['IoU']) == ['background', 'w', 'x', 'y']


def test_pipeline_passes_its_classes_to_the_evaluators(tmp_path):
    from mmwsss.pipeline.wsss_stages import classes_spec
    assert classes_spec(None) is None
    assert classes_spec('toy') == 'toy'
    assert classes_spec(('lemon', 'grape', 'leaf')) == 'lemon,grape,leaf'
    path = tmp_path / 'classes.txt'
    path.write_text('lemon\n')
    assert classes_spec(str(path)) == str(path)
    with pytest.raises(ValueError, match='comma'):
        classes_spec(['a,b'])


def test_mm_datasets_take_a_class_file(tmp_path):
    import mmwsss.mm_components  # noqa: F401  (registers the datasets)
    from mmwsss.datasets.pseudo_label_voc_dataset import \
        PseudoLabelVOCDataset
    from mmwsss.datasets.voc_image_label_dataset import VOCImageLabelDataset
    root = tmp_path / 'VOC2012'
    _tiny_root(root)
    (root / 'JPEGImages').mkdir()
    for i in 'ab':
        Image.new('RGB', (4, 4)).save(root / 'JPEGImages' / f'{i}.jpg')
    cls = VOCImageLabelDataset(data_root=str(root), split='train',
                               metainfo=dict(classes='classes.txt'),
                               pipeline=[])
    assert cls.metainfo['classes'] == tuple(FRUIT[1:])
    assert [d['gt_label'] for d in cls.load_data_list()] == [[0, 2], [0, 2]]
    seg = PseudoLabelVOCDataset(
        data_root=str(root), ann_file='ImageSets/Segmentation/train.txt',
        data_prefix=dict(img_path='JPEGImages',
                         seg_map_path='SegmentationClassAug'),
        metainfo=dict(classes='classes.txt'), check_files=False,
        pipeline=[])
    assert seg.metainfo['classes'] == tuple(FRUIT)
    assert len(seg.metainfo['palette']) == 4


def test_selector_refuses_labels_that_disagree_with_the_names(tmp_path):
    from mmwsss.datasets.selector_inputs import SelectorInputs
    root = tmp_path / 'VOC2012'
    _tiny_root(root)
    (tmp_path / 'sal').mkdir()
    inputs = SelectorInputs(str(root), 'train', str(root /
                            'SegmentationClassAug'), str(tmp_path / 'sal'))
    assert inputs.class_names == FRUIT[1:]
    save_cls_labels(str(root / 'cls_labels.npy'), {'a': np.zeros(20),
                                                   'b': np.zeros(20)})
    with pytest.raises(ValueError, match=r'cls_labels.npy: .*classes.txt '
                       'names 3 classes but the image-level labels have 20'):
        SelectorInputs(str(root), 'train', str(root / 'SegmentationClassAug'),
                       str(tmp_path / 'sal'))
