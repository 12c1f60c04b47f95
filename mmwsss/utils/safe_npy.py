"""Pickle-free reading of numpy files: a ``.npy`` holding a pickled dict
(``cls_labels.npy``) is read with an allow-list of numpy's own array
constructors, so a crafted file cannot run code."""
import io
import pickle

import numpy as np


# pickle-free reading of numpy files
#: the only globals a pickled ``.npy`` may name: what numpy itself uses to
#: rebuild arrays, dtypes and scalars (no callable that runs code)
_NUMPY_PICKLE_GLOBALS = {
    ('numpy.core.multiarray', '_reconstruct'),
    ('numpy._core.multiarray', '_reconstruct'),
    ('numpy.core.multiarray', 'scalar'),
    ('numpy._core.multiarray', 'scalar'),
    ('numpy', 'ndarray'),
    ('numpy', 'dtype'),
}


class RefusedPickle(ValueError):
    """A pickle names a global outside the allow-list (never imported)."""


def _latin1_encode(text, encoding='latin1'):
    """``_codecs.encode`` as protocol-2 pickles use it for bytes (an
    array's raw data): latin-1 only."""
    if encoding not in ('latin1', 'latin-1') or not isinstance(text, str):
        raise RefusedPickle(f'_codecs.encode(..., {encoding!r})')
    return text.encode('latin1')


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickle dicts, lists, strings, numbers and numpy arrays only.

    ``find_class`` is the one way a pickle reaches a callable (``GLOBAL``,
    ``STACK_GLOBAL``, ``REDUCE``'s target, extension codes); it returns
    numpy's array / dtype / scalar constructors and refuses every other
    name before importing it, so a crafted file cannot run code."""

    def find_class(self, module, name):
        if (module, name) == ('_codecs', 'encode'):
            return _latin1_encode  # protocol-2 pickles' bytes
        if (module, name) in _NUMPY_PICKLE_GLOBALS:
            import importlib
            return getattr(importlib.import_module(module), name)
        raise RefusedPickle(f'{module}.{name}')

    def persistent_load(self, pid):
        raise RefusedPickle(f'persistent id {pid!r}')


def load_npy_no_code(path):
    """Read a ``.npy`` file without running code from it.

    A plain numeric array is read as ``np.load`` does; an object array
    (``np.save`` of a dict) is unpickled with an allow-list of numpy's own
    array constructors (:class:`_NumpyOnlyUnpickler`); anything else in the
    pickle (``os.system``, any class) is refused with :class:`RefusedPickle`
    naming it, before it is imported. Returns the array (a 0-d object array
    for a pickled dict, as ``np.load(allow_pickle=True)``)."""
    with open(path, 'rb') as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        if not dtype.hasobject:
            f.seek(0)
            return np.load(f, allow_pickle=False)
        data = f.read()
    obj = _NumpyOnlyUnpickler(io.BytesIO(data)).load()
    if not isinstance(obj, np.ndarray):
        raise ValueError(f'pickle holds a {type(obj).__name__}, not an array')
    return obj
