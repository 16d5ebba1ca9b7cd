"""Compose the Hydra config tree outside ``@hydra.main`` (for the argparse scripts).

``config`` is a config name (``combo/endovis18/1``) or a YAML file inside a config tree
(``configs/combo/endovis18/1.yaml``): the tree root is the nearest parent folder holding
``config.yaml``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import HydraException
from omegaconf import DictConfig

from sam2_video.errors import ConfigError

DEFAULT_CONFIG_DIR = Path(__file__).resolve().parents[2] / "configs"


def locate(config: str, config_dir: str | Path | None = None) -> tuple[Path, str]:
    """(config tree root, config name) of a name or a YAML path."""
    p = Path(config)
    if p.suffix in (".yaml", ".yml") and p.is_file():
        p = p.resolve()
        for parent in p.parents:
            if (parent / "config.yaml").is_file():
                return parent, p.relative_to(parent).with_suffix("").as_posix()
        raise ConfigError(f"{config}: no parent folder holds config.yaml; pass a YAML inside the configs/ tree")
    root = Path(config_dir).resolve() if config_dir else DEFAULT_CONFIG_DIR
    name = str(config)
    for prefix in ("configs/", str(root) + "/"):
        if name.startswith(prefix):
            name = name[len(prefix):]
    name = name[:-5] if name.endswith(".yaml") else name
    if not (root / f"{name}.yaml").is_file():
        raise ConfigError(f"{config}: no {name}.yaml under {root}; pass e.g. configs/combo/endovis18/1.yaml")
    return root, name


def compose_from(config: str = "config", overrides: Sequence[str] = (), config_dir: str | Path | None = None) -> DictConfig:
    """The composed config of ``config`` with command-line style ``overrides``."""
    import sam2  # noqa: F401  (importing sam2 initialises GlobalHydra: do it before clearing)

    root, name = locate(config, config_dir)
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(root), version_base="1.3"):
            return compose(config_name=name, overrides=list(overrides))
    except HydraException as exc:
        raise ConfigError(f"{root / name}.yaml with overrides {list(overrides)}: {str(exc).splitlines()[0]}") from None
    finally:
        GlobalHydra.instance().clear()
