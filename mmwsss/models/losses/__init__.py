
from .edge_loss import EdgeBCELoss  # noqa: F401
from .structure_loss import StructureLoss  # noqa: F401
from .region_consistency_loss import RegionConsistencyLoss  # noqa: F401
from .pairwise_affinity_loss import PairwiseAffinityLoss  # noqa: F401
