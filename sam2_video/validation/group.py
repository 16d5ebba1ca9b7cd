"""One config group checked against the schema (``schema.ALL``): what the settings dataclasses of the
pipeline (``eval``, ``stream``, ``predict``) call, so every key is validated in one place, the same
way from the command line and from Python."""

from __future__ import annotations

from typing import Any, Mapping

from omegaconf import OmegaConf

from sam2_video.validation.checks import check_types
from sam2_video.validation.schema import ALL


def check_group(node: Mapping[str, Any], group: str) -> None:
    """Every ``group.*`` key of ``node`` has a value its schema rule accepts (ConfigError naming it)."""
    rules = {k: r for k, r in ALL.items() if k.startswith(f"{group}.")}
    check_types(OmegaConf.create({group: dict(node)}), rules)
