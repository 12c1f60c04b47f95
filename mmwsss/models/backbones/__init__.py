
from .mmpretrain_resnest import MMPretrainResNeSt  # noqa: F401
