
from .aspp_v2_head import ASPPV2Head  # noqa: F401
from .patm_head import PATMHead  # noqa: F401
