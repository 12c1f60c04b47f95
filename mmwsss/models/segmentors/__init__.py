
from .sod_encoder_decoder import SODEncoderDecoder  # noqa: F401
from .crf_encoder_decoder import CRFEncoderDecoder  # noqa: F401
from .crf_seg_tta_model import CRFSegTTAModel  # noqa: F401
