"""OmegaConf resolvers used by the config tree."""

from omegaconf import OmegaConf


def register_resolvers() -> None:
    """Register the resolvers the YAML files use (idempotent)."""
    if not OmegaConf.has_resolver("floordiv"):
        OmegaConf.register_new_resolver("floordiv", lambda a, b: int(a) // int(b))
    if not OmegaConf.has_resolver("mul"):
        OmegaConf.register_new_resolver("mul", lambda a, b: a * b)
