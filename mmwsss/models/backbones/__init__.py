from .efficientnet_lite import EfficientNetLite  # noqa: F401
from .mmpretrain_resnest import MMPretrainResNeSt  # noqa: F401
