"""Check a composed config before anything is written: every documented key (schema.py), the
rules that tie keys together, and the paths the run will read.

Each failure is a ``ConfigError`` whose one line names the key, the value and what to use instead.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from omegaconf import DictConfig, ListConfig, OmegaConf

from sam2_video.errors import ConfigError
from sam2_video.renamed_keys import check_node
from sam2_video.validation.rules import Rule
from sam2_video.validation.schema import ALL

_ABSENT = object()
MEMORY_MODULES = frozenset({"memory_attention", "memory_encoder", "maskmem_tpos_enc", "obj_ptr_tpos_proj"})


def value_at(cfg: DictConfig, key: str) -> Any:
    """The plain value at ``key``; ``_ABSENT`` when missing or not resolvable here (``${hydra:...}``)."""
    try:
        node = OmegaConf.select(cfg, key, default=_ABSENT, throw_on_missing=True)
    except Exception:  # noqa: BLE001 - an interpolation only Hydra's runtime resolves
        return _ABSENT
    if isinstance(node, (DictConfig, ListConfig)):
        try:
            return OmegaConf.to_container(node, resolve=True)
        except Exception:  # noqa: BLE001
            return _ABSENT
    return node


def _expand(cfg: DictConfig, key: str) -> Iterator[str]:
    """``a.b.*`` -> ``a.b.<k>`` for every key of the mapping at ``a.b``; other keys unchanged."""
    if not key.endswith(".*"):
        yield key
        return
    parent = value_at(cfg, key[:-2])
    if isinstance(parent, Mapping):
        yield from (f"{key[:-2]}.{k}" for k in parent)


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value).replace("None", "null").replace("True", "true").replace("False", "false")


def bad(key: str, value: Any, why: str) -> ConfigError:
    return ConfigError(f"{key}={_show(value)}: {why}")


def check_types(cfg: DictConfig, schema: Mapping[str, Rule] = ALL) -> None:
    """Every key of ``schema`` present in ``cfg`` has a value its rule accepts."""
    for pattern, rule in schema.items():
        for key in _expand(cfg, pattern):
            value = value_at(cfg, key)
            if value is not _ABSENT and not rule.ok(value):
                raise bad(key, value, f"expected {rule.expect}")


def backbone_stride(cfg: DictConfig) -> int:
    """Pixels per cell of the coarsest Hiera stage: patch stride 4, halved once per later stage."""
    stages = value_at(cfg, "model.hiera.stages")
    return 4 * 2 ** (len(stages) - 1) if isinstance(stages, list) and stages else 32


def check_relations(cfg: DictConfig, training: bool) -> None:
    """Rules between keys (sizes the backbone can tile, clips the trainable modules can learn from)."""
    stride = backbone_stride(cfg)
    for key in ("model.image_size", "data.image_size"):
        size = value_at(cfg, key)
        if isinstance(size, int) and size % stride:
            lo = max(stride, size // stride * stride)
            raise bad(key, size, f"must be a multiple of the backbone stride {stride}, e.g. {lo} or {lo + stride}")
    _check_prompt(cfg)
    start, stop = value_at(cfg, "eval.thresholds.start"), value_at(cfg, "eval.thresholds.stop")
    if isinstance(start, (int, float)) and isinstance(stop, (int, float)) and start > stop:
        raise bad("eval.thresholds.start", start, f"must be <= eval.thresholds.stop={stop}")
    max_time = value_at(cfg, "trainer.max_time")
    if isinstance(max_time, str) and not re.fullmatch(r"\d+:\d{1,2}:\d{1,2}:\d{1,2}", max_time):
        raise bad("trainer.max_time", max_time, 'use "DD:HH:MM:SS", e.g. "00:04:00:00"')
    if training:
        _check_clip_learns(cfg)
        if value_at(cfg, "model.trainable_modules") == [] and value_at(cfg, "model.lora.enabled") is not True:
            raise bad("model.trainable_modules", [], "nothing would train: name modules, e.g. [memory_attention], "
                                                     "or set model.lora.enabled=true (then [] trains the adapters only)")
        if value_at(cfg, "model.feature_cache.enabled") is True and value_at(cfg, "data.augment") not in (None, _ABSENT):
            raise bad("model.feature_cache.enabled", True, "reuses each frame's features, but data.augment changes "
                                                           "the frames: set data.augment=null or model.feature_cache.enabled=false")


def _check_prompt(cfg: DictConfig) -> None:
    """The prompt group builds a PromptSpec (its own rules: mix, point counts, ...), and no removed
    ``eval.*`` prompt key is still set (e.g. by a YAML file): one line naming the ``prompt.*`` key to use."""
    check_node(value_at(cfg, "eval"), "eval")
    node = value_at(cfg, "prompt")
    if isinstance(node, Mapping):
        from sam2_video.prompt import PromptSpec

        PromptSpec.from_config(node)
        if node.get("kind") == "auto":
            _check_auto_prompt_model(cfg)


def _check_auto_prompt_model(cfg: DictConfig) -> None:
    """``prompt.kind=auto`` needs a learned prompt encoder: ``model.auto_prompt.enabled=true``, or a
    ``.ckpt`` in ``model.checkpoint_path`` whose stored settings enable it (used when it loads)."""
    if value_at(cfg, "model.auto_prompt.enabled") is True:
        return
    path = value_at(cfg, "model.checkpoint_path")
    if isinstance(path, str) and Path(path).suffix == ".ckpt" and Path(path).is_file():
        from sam2_video.model.stored_config import read_stored

        stored = read_stored(path) or {}
        auto = stored.get("auto_prompt")
        if isinstance(auto, Mapping) and auto.get("enabled") is True:
            return
        raise bad("prompt.kind", "auto", f"model.checkpoint_path={path} holds no learned prompt encoder (trained "
                                         "without model.auto_prompt.enabled): use a prompt kind (point, box, mask) "
                                         "or a checkpoint trained with experiment=autosam2")
    raise bad("prompt.kind", "auto", "needs a learned prompt encoder: set model.auto_prompt.enabled=true with "
                                     "model.checkpoint_path=<a model trained with experiment=autosam2>, or use "
                                     "prompt.kind=point|box|mask")


def _check_clip_learns(cfg: DictConfig) -> None:
    """Memory modules only see gradients from frames after the first: 1-frame clips cannot train them."""
    clip = value_at(cfg, "data.clip_length")
    trainable = value_at(cfg, "model.trainable_modules")
    trainable = [trainable] if isinstance(trainable, str) else trainable
    if clip == 1 and isinstance(trainable, list) and "all" not in trainable and set(trainable) <= MEMORY_MODULES:
        raise bad("data.clip_length", 1, f"model.trainable_modules={trainable} learn only from frames after the first: "
                                         "use data.clip_length >= 2 (default 8) or train other modules too")


def _is_inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def check_paths(cfg: DictConfig, splits: Sequence[str] = ()) -> None:
    """Files the run reads exist (checkpoints, the data of ``splits``); synthetic data is generated
    only under ``paths.data_dir``."""
    for key in ("model.checkpoint_path", "model.config_path"):
        path = value_at(cfg, key)
        if isinstance(path, str) and not Path(path).is_file():
            raise bad(key, path, "file not found; pass an existing file (or null)")
    ckpt = value_at(cfg, "ckpt_path")
    if isinstance(ckpt, str) and ckpt != "auto" and not Path(ckpt).is_file():
        raise bad("ckpt_path", ckpt, "file not found; pass a .ckpt from <run>/checkpoints or ckpt_path=auto")
    root, data_dir = value_at(cfg, "data.root"), value_at(cfg, "paths.data_dir")
    synthetic = value_at(cfg, "data.synthetic")
    if synthetic not in (None, _ABSENT) and isinstance(root, str) and isinstance(data_dir, str):
        if not Path(root).exists() and not _is_inside(Path(root), Path(data_dir)):
            raise bad("data.root", root, f"does not exist; data=synthetic generates new data only under "
                                         f"paths.data_dir={data_dir}; for your dataset pick its group, e.g. "
                                         "data=endovis18 (or data=coco) with data.root=<existing folder>")
    generated = synthetic not in (None, _ABSENT)
    image_root = value_at(cfg, "data.image_root")
    if isinstance(image_root, str) and not Path(image_root).is_dir():
        raise bad("data.image_root", image_root, "folder not found; pass the folder images[].file_name is relative to")
    for split in splits:
        _check_split(cfg, split, root if isinstance(root, str) else None, generated)


def _check_split(cfg: DictConfig, split: str, root: str | None, generated: bool) -> None:
    """``data.<split>_path`` or ``data.root`` leads to an existing file / folder for ``split``."""
    from sam2_video.data.sources import default_split_path

    explicit = value_at(cfg, f"data.{split}_path")
    if isinstance(explicit, str):
        if not Path(explicit).exists():
            raise bad(f"data.{split}_path", explicit, "not found; pass an existing file")
        return
    if explicit is _ABSENT or generated:
        return
    if root is None:
        raise bad(f"data.{split}_path", None, f"the {split} split has no path: set data.{split}_path=... "
                                              f"or data.root=<folder with the {split} split>")
    if not Path(root).is_dir():
        raise bad("data.root", root, "folder not found; pass an existing dataset folder")
    fmt = value_at(cfg, "data.format")
    if fmt in ("coco", "davis", "polyp") and not default_split_path(fmt, Path(root), split).exists():
        raise bad(f"data.{split}_path", None, f"data.root={root} holds no {split} split "
                                              f"({default_split_path(fmt, Path(root), split).name} not found); "
                                              f"set data.{split}_path=... or convert with --split")
