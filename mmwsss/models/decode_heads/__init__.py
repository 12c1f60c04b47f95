
from .aspp_v2_head import ASPPV2Head  # noqa: F401
from .patm_head import PATMHead  # noqa: F401
from .class_boundary_head import ClassBoundaryHead  # noqa: F401
