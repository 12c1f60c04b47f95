
from .edge_aware_neck import EdgeAwareNeck, EdgeAwareOutputs  # noqa: F401
