"""Lazy names of a package: its ``__init__`` lists where each public name
lives, and the submodule is imported on first use (so importing the package
imports neither torch nor OpenMMLab)."""
import importlib


def lazy_getattr(package, where):
    """A module ``__getattr__`` for ``package``.

    Args:
        package (str): the package's ``__name__``.
        where (dict): public name -> module holding it: a submodule of
            ``package`` (``'io'``) or an absolute module path
            (``'mmwsss.datasets.voc_layout'``). A name that is the
            submodule's own name (``transforms='transforms'``) gives the
            submodule.
    """
    def __getattr__(name):
        if name not in where:
            raise AttributeError(f'module {package!r} has no attribute '
                                 f'{name!r}')
        mod = where[name]
        mod = importlib.import_module(mod if '.' in mod
                                      else f'{package}.{mod}')
        if mod.__name__.rpartition('.')[2] == name:
            return mod
        return getattr(mod, name)

    return __getattr__
