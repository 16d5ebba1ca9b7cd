"""Use Meta's own model YAML: ``model.config_path=/path/sam2.1_hiera_t.yaml``.

Meta's inference configs (``sam2/configs/sam2.1/*.yaml``: a ``model`` node) and training configs
(``trainer.model``, with ``${scratch...}`` interpolations) both work. The network is built exactly
as that YAML says (its ``model`` node replaces ``model.net``); what this project adds to it stays:
the ``SAM2VideoTrainer`` class and its training-time prompting arguments (``prompt.train``). The
knobs other settings follow (``model.image_size`` -> ``data.image_size``, ``num_maskmem``,
``hiera.stages``) are set from the YAML, and ``model.variant`` becomes the file's name.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, Mapping

from loguru import logger
from omegaconf import DictConfig, OmegaConf

from sam2_video.errors import ConfigError


def read_meta_model(path: str | Path) -> dict[str, Any]:
    """The resolved model node of one of Meta's SAM2 YAML files (ConfigError naming the file)."""
    try:
        raw = OmegaConf.load(path)
        node = OmegaConf.select(raw, "model") or OmegaConf.select(raw, "trainer.model")
        model = OmegaConf.to_container(node, resolve=True) if node is not None else None
    except Exception as exc:  # noqa: BLE001 - unreadable YAML / unresolvable interpolation
        raise ConfigError(f"model.config_path={path}: cannot read it as a SAM2 YAML ({str(exc).splitlines()[0][:160]})") from None
    if not isinstance(model, dict) or "sam2" not in str(model.get("_target_", "")) or "image_encoder" not in model:
        raise ConfigError(f"model.config_path={path}: no SAM2 'model' (or 'trainer.model') node with an image_encoder; "
                          "pass one of Meta's configs, e.g. sam2/configs/sam2.1/sam2.1_hiera_t.yaml")
    return model


def _sam2base_args() -> set[str]:
    from sam2.modeling.sam2_base import SAM2Base

    return set(inspect.signature(SAM2Base.__init__).parameters) - {"self"}


def apply_meta_config(cfg: DictConfig) -> bool:
    """Replace ``cfg.model.net`` by the model of ``model.config_path`` (if set); True when applied."""
    path = OmegaConf.select(cfg, "model.config_path")
    if not path:
        return False
    meta = read_meta_model(path)
    ours: Mapping[str, Any] = OmegaConf.to_container(cfg.model.net, resolve=True)
    base = _sam2base_args()
    extra = {k: v for k, v in ours.items() if k not in base and k != "_target_"}  # SAM2Train / our arguments
    net = {**{k: v for k, v in meta.items() if k != "_target_"}, **extra, "_target_": ours["_target_"]}
    trunk = meta["image_encoder"].get("trunk", {})
    OmegaConf.update(cfg, "model.net", OmegaConf.create(net), merge=False)
    OmegaConf.update(cfg, "model.variant", Path(path).stem, merge=False)
    for key, value in (("image_size", meta.get("image_size", 1024)), ("num_maskmem", meta.get("num_maskmem", 7)),
                       ("hiera.stages", trunk.get("stages"))):
        if value is not None and OmegaConf.select(cfg, f"model.{key}") is not None:
            OmegaConf.update(cfg, f"model.{key}", value, merge=False)
    logger.info(f"model.config_path={path}: SAM2 built from Meta's YAML (variant {Path(path).stem}, "
                f"{cfg.model.image_size} px)")
    return True
