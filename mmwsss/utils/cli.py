"""What every command line shares: one-line errors, ``--debug``.

Every tool runs through :func:`run_main`. An expected error (bad input, a missing file, a refused rerun: the
``ValueError`` / ``OSError`` / ``KeyError`` / ``RuntimeError`` our readers
and stages raise, or an ``AssertionError`` of mmengine's config checks, with a message naming the file) is printed as one line,
``error: <message>``, and the tool exits with status 1. ``--debug`` (taken
out of the arguments here, so any tool accepts it) or ``MMWSSS_DEBUG=1``
shows the full traceback instead; the variable reaches the child processes
of ``tools/run_pipeline.py``. Anything else (a bug) keeps its traceback.
``--trust-checkpoint`` (``MMWSSS_TRUST_CHECKPOINT=1``) lets checkpoints be
fully unpickled (:mod:`mmwsss.utils.compat`).
"""
import os
import sys

#: environment variable that turns one-line errors into tracebacks
DEBUG_ENV = 'MMWSSS_DEBUG'
#: environment variable of ``--trust-checkpoint`` (as in
#: :data:`mmwsss.utils.compat.TRUST_ENV`, not imported: no torch here)
TRUST_ENV = 'MMWSSS_TRUST_CHECKPOINT'
#: the errors printed as one line
EXPECTED_ERRORS = (ValueError, OSError, KeyError, RuntimeError,
                   AssertionError)  # mmengine / mmseg check configs by assert


def debug_enabled():
    return os.environ.get(DEBUG_ENV, '') not in ('', '0')


def error_line(exc):
    """The one line shown for an expected error."""
    msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
    text = str(msg).strip() or type(exc).__name__
    return 'error: ' + text


def add_common_args(parser, checkpoints=False):
    """List the flags :func:`run_main` takes out of the arguments in the
    tool's ``--help`` (``--trust-checkpoint`` for tools that load
    checkpoints)."""
    parser.add_argument('--debug', action='store_true',
                        help=f'show the traceback of an error (or set '
                        f'{DEBUG_ENV}=1)')
    if checkpoints:
        parser.add_argument(
            '--trust-checkpoint', action='store_true',
            help='unpickle checkpoints fully (they may run code): only for '
            'files you made or whose source you trust; by default they are '
            f'loaded weights only (or set {TRUST_ENV}=1)')
    return parser


def run_main(main, argv=None):
    """Run a tool's ``main()``: take ``--debug`` and ``--trust-checkpoint``
    out of the arguments (setting their environment variables, which child
    processes inherit), print an expected error
    as one line (exit 1), then close a torch process group if one was
    opened (:func:`mmwsss.utils.sharding.close_dist`)."""
    args = sys.argv if argv is None else argv
    for flag, var in (('--debug', DEBUG_ENV),
                      ('--trust-checkpoint', TRUST_ENV)):
        if flag in args[1:]:
            args[1:] = [a for a in args[1:] if a != flag]
            os.environ[var] = '1'
    try:
        result = main()
    except KeyboardInterrupt:
        print('error: interrupted', file=sys.stderr)
        sys.exit(130)
    except EXPECTED_ERRORS as e:
        if debug_enabled():
            raise
        sys.stderr.flush()
        print(error_line(e), file=sys.stderr)
        sys.exit(1)
    from .sharding import close_dist
    close_dist()
    return result
