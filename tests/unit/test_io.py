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
