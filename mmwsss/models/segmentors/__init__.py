
from .sod_encoder_decoder import SODEncoderDecoder  # noqa: F401
