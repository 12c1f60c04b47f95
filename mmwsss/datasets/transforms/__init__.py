
from .load_image_level_label import LoadImageLevelLabel  # noqa: F401
from .load_saliency_map import LoadSaliencyMap  # noqa: F401
from .selector_fusion import SelectorFusion  # noqa: F401
from .binarize_mask import BinarizeMask  # noqa: F401
from .generate_edge_target import GenerateEdgeTarget  # noqa: F401
from .generate_region_map import GenerateRegionMap  # noqa: F401
from .pack_sod_inputs import PackSODInputs  # noqa: F401
