"""Former names of settings: an old key or flag is an error that gives the
new name (issue: one meaning per name; e.g. the four ``bg_thr`` became
``cam_thr``, ``relation_bg_thr``, ``walk_bg_thr`` and ``fuse_thr``)."""
import argparse


def check_renamed(what, keys, renamed):
    """Raise ``ValueError`` when one of ``keys`` is a former name in
    ``renamed`` (``{old: new}``), naming ``what`` (e.g. ``'select
    settings'``) and the new name."""
    old = [k for k in keys if k in renamed]
    if old:
        raise ValueError(f'{what}: ' + '; '.join(
            f'{k!r} was renamed {renamed[k]!r}' for k in old))


class _RenamedFlag(argparse.Action):

    def __init__(self, option_strings, dest, new=None, **kwargs):
        self.new = new
        super().__init__(option_strings, dest, nargs='?',
                         help=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        parser.error(f'{option_string} was renamed {self.new}')


def add_renamed_flags(parser, renamed):
    """Hidden flags ``{old: new}`` of an argparse parser that stop with
    ``old was renamed new``."""
    for old, new in renamed.items():
        parser.add_argument(old, action=_RenamedFlag, new=new,
                            dest=f'_renamed_{old.lstrip("-")}')
