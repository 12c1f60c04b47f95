
from .edge_aware_neck import EdgeAwareNeck  # noqa: F401
