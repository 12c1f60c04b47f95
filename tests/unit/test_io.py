"""mmwsss.utils.io: the distinct values of a label map (the fast path used
by every label check) agree with ``np.unique`` on every kind of map."""
import numpy as np
import pytest

from mmwsss.utils.io import check_label_values, label_values


def _maps():
    rng = np.random.default_rng(0)
    yield np.zeros((5, 5), np.uint8)
    yield np.full((3, 3), 255, np.uint8)
    yield np.array([[254, 255]], np.uint8)
    yield np.array([[33, 0]], np.uint8)            # just over the fast path
    yield np.array([[0, 3, 255], [7, 7, 0]], np.uint8)
    yield np.zeros((0, 3), np.uint8)
    yield np.array([[1, 2], [2, 9]], np.int64)     # not uint8: np.unique
    blocks = np.kron(rng.integers(0, 21, (6, 8)), np.ones((30, 40), int))
    yield blocks.astype(np.uint8)                  # runs: a label map
    yield blocks.astype(np.uint8)[:, ::3]          # not contiguous
    # read as 8-byte words: values only in the first word, only in the
    # tail, in words equal to the word before, across word boundaries
    for n in (1, 7, 8, 9, 15, 16, 17, 23):
        lab = np.zeros((1, n), np.uint8)
        lab[0, -1] = 9
        yield lab
        lab = np.zeros((1, n), np.uint8)
        lab[0, 0] = 4
        yield lab
    yield np.tile(np.arange(1, 9, dtype=np.uint8), (3, 10))   # equal words
    yield np.repeat(np.array([3, 200, 3, 17], np.uint8), 11)[None]
    for high in (2, 7, 21, 32, 256):
        lab = rng.integers(0, high, (40, 50)).astype(np.uint8)
        yield lab
        lab = lab.copy()
        lab[::7] = 255
        yield lab


@pytest.mark.parametrize('label', list(_maps()))
def test_label_values_equal_numpy_unique(label):
    got = label_values(label)
    assert got.tolist() == np.unique(label).tolist()


def test_check_label_values_names_file_and_values():
    label = np.array([[0, 6, 255], [40, 1, 0]], np.uint8)
    check_label_values(label[:, :3] * (label[:, :3] < 7), 'ok.png', 7)
    with pytest.raises(ValueError, match=r'x\.png: label value\(s\) \[40\] '
                       r'outside the 7 classes'):
        check_label_values(label, 'x.png', 7)


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os
        return os.system, (f'touch {self.marker}', )


def test_cls_labels_read_without_running_code(tmp_path):
    """The restricted unpickler reads the real (protocol-2, numpy 1) file
    as np.load does, refuses a payload (not run) and other objects, and the
    .npz / .json forms round-trip."""
    import os.path as osp

    from conftest import VOC_REAL_MINI
    from mmwsss.datasets.voc_layout import load_cls_labels, save_cls_labels
    real = osp.join(VOC_REAL_MINI, 'cls_labels.npy')
    ref = np.load(real, allow_pickle=True).item()
    got = load_cls_labels(real)
    assert got.keys() == ref.keys()
    assert all(np.array_equal(got[k], ref[k]) for k in ref)
    for form in ('npz', 'json', 'npy'):
        path = str(tmp_path / f'c.{form}')
        save_cls_labels(path, got)
        back = load_cls_labels(path)
        assert back.keys() == got.keys()
        assert all(np.array_equal(back[k], got[k]) for k in got)
    marker = tmp_path / 'PWNED'
    bad = str(tmp_path / 'bad.npy')
    np.save(bad, {'a': _Payload(marker)}, allow_pickle=True)
    with pytest.raises(ValueError, match=r'bad.npy: refused, the file holds '
                       r'a pickled posix.system'):
        load_cls_labels(bad)
    assert not marker.exists()
    np.save(bad, {'a': np.array(['x'], dtype=object)}, allow_pickle=True)
    with pytest.raises(ValueError, match="label of 'a' is an array of object"):
        load_cls_labels(bad)
    np.save(bad, np.zeros(3))
    with pytest.raises(ValueError, match='expected a dict'):
        load_cls_labels(bad)


def test_label_and_grey_pngs_decode_in_place_as_pil_does(tmp_path):
    """load_label_png / load_grey_png decode straight into numpy memory:
    the same values as ``np.asarray(Image.open(...))`` for palette and grey
    PNGs of several sizes; with a PixelBuffer the memory is reused; bad
    files raise errors naming them."""
    from PIL import Image

    from mmwsss.utils.io import (PixelBuffer, load_grey_png, load_label_png,
                                 save_grey_png, save_label_png)
    rng = np.random.default_rng(0)
    buffer = PixelBuffer()
    previous = None
    for h, w in ((375, 500), (17, 3), (500, 333), (1, 1)):
        label = rng.integers(0, 21, (h, w)).astype(np.uint8)
        label[rng.random((h, w)) < 0.1] = 255
        path = str(tmp_path / f'l{h}x{w}.png')
        save_label_png(path, label)
        grey = str(tmp_path / f'g{h}x{w}.png')
        save_grey_png(grey, (label * 7).astype(np.uint8))
        for got in (load_label_png(path), load_label_png(path,
                                                         buffer=buffer)):
            assert got.dtype == np.uint8 and got.flags.writeable
            np.testing.assert_array_equal(got, label)
            np.testing.assert_array_equal(got, np.asarray(Image.open(path)))
        np.testing.assert_array_equal(load_grey_png(grey), label * 7)
        got = load_label_png(path, buffer=buffer)
        if previous is not None and h * w <= previous:
            assert np.shares_memory(got, buffer.array(1, 1))
        previous = max(previous or 0, h * w)
    whole = open(str(tmp_path / 'l375x500.png'), 'rb').read()
    cut = tmp_path / 'cut.png'
    cut.write_bytes(whole[:len(whole) // 2])
    with pytest.raises(ValueError, match='cut.png: .*truncated or corrupt'):
        load_label_png(str(cut))
    (tmp_path / 'empty.png').write_bytes(b'')
    with pytest.raises(ValueError, match=r'empty.png: empty file'):
        load_label_png(str(tmp_path / 'empty.png'))
    with pytest.raises(FileNotFoundError, match='missing.png'):
        load_label_png(str(tmp_path / 'missing.png'))
    with pytest.raises(FileNotFoundError, match='label file not found'):
        load_label_png(str(tmp_path))
