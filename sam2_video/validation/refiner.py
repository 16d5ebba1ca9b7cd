"""Checks of the refiner's config (train_refiner.py), before anything runs or is written.

The shared groups get the project's key rules (schema.py, refiner keys included); on top:
``refiner.folder.video_regex`` compiles, and a folder source names existing folders.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Mapping

from omegaconf import DictConfig

from sam2_video.errors import ConfigError
from sam2_video.validation.checks import bad, check_types, value_at

EXAMPLE_REGEX = "'refiner.folder.video_regex=\"^(patient\\d+)_\"'"  # shell + Hydra quoting (docs/refiner.md)


def check_video_regex(cfg: DictConfig) -> None:
    """``refiner.folder.video_regex`` is null or a regular expression Python's ``re`` compiles."""
    pattern = value_at(cfg, "refiner.folder.video_regex")
    if not isinstance(pattern, str):
        return
    try:
        re.compile(pattern)
    except re.error as exc:
        raise bad("refiner.folder.video_regex", pattern, f"not a regular expression ({exc}); e.g. {EXAMPLE_REGEX} "
                                                         "(quote it for the shell and for Hydra)") from None


def check_folder_source(cfg: DictConfig) -> None:
    """``refiner.source=folder`` reads ``refiner.folder.images`` / ``masks``: both existing folders."""
    if value_at(cfg, "refiner.source") != "folder":
        return
    for key in ("refiner.folder.images", "refiner.folder.masks"):
        path = value_at(cfg, key)
        if not isinstance(path, str) or not Path(path).is_dir():
            raise bad(key, path, "refiner.source=folder reads image / mask PNG pairs from two existing folders: "
                                 f"set {key}=<folder>")


def validate_refiner(cfg: DictConfig) -> None:
    """Every documented key (refiner.* included), the regex, the folder source."""
    if not isinstance(value_at(cfg, "refiner"), Mapping):
        raise ConfigError("no refiner config: add experiment=refiner (or experiment=refiner_demo, or refiner=default)")
    check_types(cfg)
    check_video_regex(cfg)
    check_folder_source(cfg)
