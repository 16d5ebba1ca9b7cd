"""The config tree: OmegaConf resolvers, composition (a name or a YAML file + overrides), ``build``.

``compose(config, overrides)`` is the one way every entry point composes outside ``@hydra.main``:
``config`` is a config name (``combo/endovis18/1``) or a YAML file inside a config tree
(``configs/combo/endovis18/1.yaml``, the tree root being the nearest parent holding ``config.yaml``).
Hydra's composition errors become one-line ``ConfigError``s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from hydra import compose as hydra_compose
from hydra import initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import HydraException, InstantiationException
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from sam2_video.errors import ConfigError, UserError
from sam2_video.renamed_keys import check_overrides

CONFIG_DIR = Path(__file__).resolve().parents[1] / "configs"


def register_resolvers() -> None:
    """Register the resolvers the YAML files use (idempotent)."""
    if not OmegaConf.has_resolver("floordiv"):
        OmegaConf.register_new_resolver("floordiv", lambda a, b: int(a) // int(b))
    if not OmegaConf.has_resolver("mul"):
        OmegaConf.register_new_resolver("mul", lambda a, b: a * b)


def locate(config: str, config_dir: str | Path | None = None) -> tuple[Path, str]:
    """(config tree root, config name) of a config name or a YAML path."""
    p = Path(config)
    if p.suffix in (".yaml", ".yml") and p.is_file():
        p = p.resolve()
        for parent in p.parents:
            if (parent / "config.yaml").is_file():
                return parent, p.relative_to(parent).with_suffix("").as_posix()
        raise ConfigError(f"{config}: no parent folder holds config.yaml; pass a YAML inside the configs/ tree")
    root = Path(config_dir).resolve() if config_dir else CONFIG_DIR
    name = str(config)
    for prefix in ("configs/", str(root) + "/"):
        if name.startswith(prefix):
            name = name[len(prefix):]
    name = name[:-5] if name.endswith(".yaml") else name
    if not (root / f"{name}.yaml").is_file():
        raise ConfigError(f"{config}: no {name}.yaml under {root}; pass e.g. configs/combo/endovis18/1.yaml")
    return root, name


def hydra_error_line(exc: BaseException) -> str:
    """The informative first line of a Hydra / OmegaConf error (never Hydra's HYDRA_FULL_ERROR hint)."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip() and "HYDRA_FULL_ERROR" not in ln
             and not ln.strip().startswith(("full_key:", "object_type="))]
    if not lines:
        return type(exc).__name__
    stop = next((i for i, ln in enumerate(lines) if ln.startswith("Config search path")), len(lines))
    lines = lines[:stop]
    options = next((i for i, ln in enumerate(lines) if ln.startswith("Available options")), None)
    text = " ".join(lines[:3] if options is None else lines[:min(options, 3)])
    if options is not None:
        text += f"; {lines[options].rstrip(':').lower()}: {', '.join(lines[options + 1:])}"
    return text[:400]


def compose(config: str = "config", overrides: Sequence[str] = (), config_dir: str | Path | None = None,
            return_hydra_config: bool = False) -> DictConfig:
    """The composed config of ``config`` with command-line style ``overrides`` (ConfigError on failure)."""
    import sam2  # noqa: F401  (importing sam2 initialises GlobalHydra: do it before clearing)

    register_resolvers()
    check_overrides(overrides)  # a removed key: one line naming its replacement, not Hydra's "not in struct"
    root, name = locate(config, config_dir)
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(root), version_base="1.3"):
            return hydra_compose(config_name=name, overrides=list(overrides), return_hydra_config=return_hydra_config)
    except (HydraException, OmegaConfBaseException) as exc:
        raise ConfigError(f"{name}.yaml: {hydra_error_line(exc)}") from None
    finally:
        GlobalHydra.instance().clear()


def compose_config(overrides: list[str] | None = None, config_name: str = "config") -> DictConfig:
    """``configs/<config_name>.yaml`` with Hydra overrides (kept for tests and benches)."""
    return compose(config_name, list(overrides or []))


def build(node: DictConfig, **kwargs: Any) -> Any:
    """``hydra.utils.instantiate`` that surfaces our one-line ``UserError`` instead of Hydra's wrapper.

    A ``ValueError`` / ``TypeError`` raised by the configured class (a bad value or an unknown
    key under its node) becomes a ``ConfigError`` naming the node.
    """
    try:
        return instantiate(node, **kwargs)
    except InstantiationException as exc:
        cause = exc.__cause__
        if isinstance(cause, UserError):
            raise cause from None
        if isinstance(cause, (ValueError, TypeError)):
            where = next((ln.split(":", 1)[1].strip() for ln in str(exc).splitlines() if ln.startswith("full_key:")),
                         str(node.get("_target_", "config node")) if isinstance(node, DictConfig) else "config node")
            raise ConfigError(f"{where or 'config'}: {hydra_error_line(cause)}; fix this value in the config") from None
        raise
