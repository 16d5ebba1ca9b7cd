"""Config validation for every entry point: run before anything is written (docs/architecture.md).

``validate_train(cfg)`` (train.py) and ``validate_eval(cfg)`` (baseline_eval.py,
grid_search_threshold.py) raise one ``ConfigError`` naming the key, its value and the fix.
"""

from __future__ import annotations

from omegaconf import DictConfig

from sam2_video.validation.checks import check_paths, check_relations, check_types
from sam2_video.validation.environment import check_cpu_memory, check_eval_device, check_trainer_devices, warn_cpu_memory
from sam2_video.validation.refiner import validate_refiner


def validate_eval(cfg: DictConfig) -> None:
    """Every documented key, the rules between keys, input paths, ``eval.device``."""
    check_types(cfg)
    check_relations(cfg, training=False)
    split = cfg.get("eval", {}).get("split", "val") if isinstance(cfg.get("eval"), DictConfig) else "val"
    check_paths(cfg, splits=(split,))
    check_eval_device(cfg)
    check_cpu_memory(cfg, training=False)


def validate_train(cfg: DictConfig, warn: bool = True) -> None:
    """``validate_eval`` plus the training rules and devices; refuses CPU training whose estimated peak
    memory exceeds the available memory (``++allow_high_memory=true`` runs anyway), warns (``warn``)
    when it comes close."""
    check_types(cfg)
    check_relations(cfg, training=True)
    check_paths(cfg, splits=("train", "val"))
    check_trainer_devices(cfg)
    if bool(cfg.get("evaluate_after_training", False)):
        check_eval_device(cfg)
    check_cpu_memory(cfg, training=True)
    if warn:
        warn_cpu_memory(cfg)


__all__ = ["validate_eval", "validate_refiner", "validate_train"]
