"""Typed settings from a config node: the one check that a node holds only the dataclass's fields."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, Mapping, Optional

from sam2_video.errors import ConfigError


def node_values(cls: type, node: Optional[Mapping[str, Any]], group: str) -> dict[str, Any]:
    """``node`` as a plain dict for ``cls(**values)`` (Hydra's ``_target_`` / ``_convert_`` dropped);
    a key that is not a field of the dataclass ``cls`` is a ConfigError naming ``group`` and the valid keys."""
    values = {k: v for k, v in dict(node or {}).items() if not str(k).startswith("_")}
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(f"{group}: unknown key(s) {unknown}; valid keys: {sorted(known)}")
    return values
