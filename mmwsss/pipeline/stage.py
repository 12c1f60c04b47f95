"""What a pipeline stage is to :class:`~.pipeline_runner.PipelineRunner`:
its commands (:class:`Command`, arguments known only at run time as
:class:`LazyArg`), the outputs it owns, what determines them and where its
metrics come from (:class:`Stage`)."""


class LazyArg:
    """A command argument known only when the command runs (e.g. the last
    checkpoint of a training stage). ``key`` stands for it in fingerprints;
    ``placeholder`` for its value when settings are checked before the
    run."""

    def __init__(self, fn, key, placeholder=None):
        self.fn = fn
        self.key = key
        self.placeholder = placeholder

    def __str__(self):
        return str(self.fn())


class Command(list):
    """The argv of one command (after ``python``); ``distributed``: run it
    under ``torchrun`` when the runner has ``nproc > 1``."""

    def __init__(self, argv, distributed=False):
        super().__init__(argv)
        self.distributed = distributed


class Stage:
    """One stage: commands to run, outputs it owns, metrics it yields.

    Args:
        name (str): stage name (manifest key, ``--stages`` value).
        commands (list[list[str]]): commands, ``python`` prepended
            (:class:`Command` to mark one ``distributed``).
        outputs (list[str]): paths the stage owns (deleted on a rerun).
        settings (dict): everything that determines the outputs.
        deps (list[str]): names of the stages it reads from.
        config_files (list[str]): mm config files it uses (hashed).
        metrics (callable, optional): returns the stage's metrics dict.
        torchrun (sequence[str]): also launch the commands whose first
            argument is one of these with torchrun when nproc > 1.
        inputs (list[str]): input files / folders (fingerprinted by
            :func:`~.fingerprints.data_digest`) besides those named in the
            commands.
    """

    def __init__(self, name, commands, outputs=(), settings=None, deps=(),
                 config_files=(), metrics=None, torchrun=(), inputs=()):
        self.name = name
        self.commands = commands
        self.outputs = list(outputs)
        self.settings = settings or {}
        self.deps = list(deps)
        self.config_files = list(config_files)
        self.metrics = metrics
        self.torchrun = set(torchrun)
        self.inputs = list(inputs)
