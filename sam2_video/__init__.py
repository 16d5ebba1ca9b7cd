"""sam2-video: fine-tune and evaluate Meta's SAM2 video model with Hydra + Lightning."""

from sam2_video.config import register_resolvers

register_resolvers()

__version__ = "0.1.0"
