
from .cam_head import CAMHead  # noqa: F401
