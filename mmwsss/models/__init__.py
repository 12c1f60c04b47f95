from . import backbones, decode_heads, heads, losses, necks, segmentors  # noqa: F401
