from . import transforms  # noqa: F401
from .pseudo_label_voc_dataset import PseudoLabelVOCDataset  # noqa: F401
from .duts_dataset import DUTSDataset  # noqa: F401
from .voc_image_label_dataset import VOCImageLabelDataset  # noqa: F401
