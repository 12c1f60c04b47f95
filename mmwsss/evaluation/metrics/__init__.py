
from .sod_metric import SODMetric  # noqa: F401
