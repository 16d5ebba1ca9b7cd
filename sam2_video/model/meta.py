"""Build Meta's own classes from our model config (for equivalence tests and benchmarks)."""

from __future__ import annotations

import inspect
import os
import tempfile
from pathlib import Path
from typing import Optional

import yaml
from hydra import initialize_config_dir, initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig, OmegaConf
from sam2.build_sam import build_sam2_video_predictor
from sam2.modeling.sam2_base import SAM2Base
from sam2.sam2_video_predictor import SAM2VideoPredictor


def meta_model_tree(model_cfg: DictConfig, target: str) -> dict:
    """Our resolved ``model.net`` tree as Meta's YAML ``model:`` node with ``_target_=target``."""
    tree = OmegaConf.to_container(model_cfg.net, resolve=True)
    allowed = set(inspect.signature(SAM2Base.__init__).parameters)
    allowed |= set(inspect.signature(SAM2VideoPredictor.__init__).parameters)
    if target.endswith("SAM2Train"):
        from training.model.sam2 import SAM2Train

        allowed |= set(inspect.signature(SAM2Train.__init__).parameters)
    tree = {k: v for k, v in tree.items() if k in allowed or not isinstance(v, (int, float, bool, str))}
    tree["_target_"] = target
    return tree


def build_meta_video_predictor(
    model_cfg: DictConfig,
    checkpoint_path: Optional[str | os.PathLike],
    device: str = "cpu",
    apply_postprocessing: bool = False,
) -> SAM2VideoPredictor:
    """Meta's ``build_sam2_video_predictor`` on a Meta-format YAML written from ``model_cfg``."""
    tree = meta_model_tree(model_cfg, "sam2.sam2_video_predictor.SAM2VideoPredictor")
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "meta_model.yaml").write_text(yaml.safe_dump({"model": tree}))
        GlobalHydra.instance().clear()
        try:
            with initialize_config_dir(config_dir=tmp, version_base="1.2"):
                return build_sam2_video_predictor(
                    "meta_model",
                    ckpt_path=str(checkpoint_path) if checkpoint_path else None,
                    device=device,
                    apply_postprocessing=apply_postprocessing,
                )
        finally:
            GlobalHydra.instance().clear()
            initialize_config_module("sam2", version_base="1.2")
