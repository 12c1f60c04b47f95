from .efficientnet_lite import EfficientNetLite  # noqa: F401
from .mmpretrain_resnest import MMPretrainResNeSt  # noqa: F401
from .resnet_with_stem import ResNetWithStem  # noqa: F401
