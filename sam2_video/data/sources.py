"""Build the `VideoIndex` of one split from ``format`` + paths (shared by the DataModule and inspect).

``format`` and what a split path points at:
- ``coco``:  the COCO clip JSON (default ``<root>/<split>.json``, else the one ``<root>/*_<split>.json``
  as the converters write with ``--split``); frames relative to ``image_root`` (default: the JSON's folder);
- ``davis``: an ImageSets list file of video names (default ``<root>/ImageSets/2017/<split>.txt``,
  else ``<root>/ImageSets/<split>.txt``); the DAVIS folder is ``image_root`` or ``root``;
- ``polyp``: the split folder with images/, masks/ and ``*_list.txt`` (default ``<root>/<split>``,
  ``valid`` accepted for ``val``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal, Mapping

from sam2_video.data.coco_clips import load_coco_index
from sam2_video.data.davis import load_davis_index
from sam2_video.data.index import VideoIndex
from sam2_video.data.polyp import load_polyp_index
from sam2_video.errors import ConfigError, DatasetError

DatasetFormat = Literal["coco", "davis", "polyp"]
FORMATS = ("coco", "davis", "polyp")


def default_split_path(fmt: DatasetFormat, root: Path, split: str) -> Path:
    """Where ``split`` lives under ``root`` for ``fmt`` (see the module docstring)."""
    if fmt == "coco":
        p = root / f"{split}.json"
        if p.exists():
            return p
        found = sorted(root.glob(f"*_{split}.json"))  # converters with --split: OUT_train.json / OUT_val.json
        if len(found) > 1:
            raise ConfigError(f"data.root={root} holds several {split} splits ({', '.join(f.name for f in found)}): "
                              f"set data.{split}_path=... to choose one")
        return found[0] if found else p
    if fmt == "davis":
        p = root / "ImageSets" / "2017" / f"{split}.txt"
        return p if p.exists() else root / "ImageSets" / f"{split}.txt"
    if fmt == "polyp":
        p = root / split
        return root / "valid" if split == "val" and not p.exists() and (root / "valid").exists() else p
    raise ConfigError(f"data.format must be one of {FORMATS}, got {fmt!r}")


def load_index(
    fmt: DatasetFormat,
    path: str | Path,
    *,
    root: str | Path | None = None,
    image_root: str | Path | None = None,
    check_files: bool = True,
    allow_empty_categories: bool = False,
    category_names: Mapping[int, str] | None = None,
) -> VideoIndex:
    """Read one split in format ``fmt`` from ``path`` (cached by the readers)."""
    if fmt == "coco":
        index = load_coco_index(path, image_root, check_files=check_files, allow_empty_categories=allow_empty_categories)
        if category_names:
            check_category_names(index, category_names)
        return index
    if fmt == "davis":
        base = image_root or root
        if base is None:
            raise ConfigError("data.format=davis needs the DAVIS folder: set data.root=... (or data.image_root=...)")
        cats = {int(k): str(v) for k, v in category_names.items()} if category_names else None
        return load_davis_index(base, Path(path), category_names=cats)
    if fmt == "polyp":
        name = next(iter(category_names.values())) if category_names else "polyp"
        return load_polyp_index(path, category_name=name)
    raise ConfigError(f"data.format must be one of {FORMATS}, got {fmt!r}")


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]+", " ", str(name)).strip().lower()


def check_category_names(index: VideoIndex, expected: Mapping[int, str]) -> None:
    """DatasetError unless every category of ``index`` is in ``expected`` with the same name
    (case, spaces, '_' and '-' ignored): catches converters that number the classes differently."""
    exp = {int(k): v for k, v in expected.items()}
    for cid, name in index.categories.items():
        if cid not in exp:
            raise DatasetError(
                f"{index.source}: category {cid} ({name!r}) is not in data.category_names {sorted(exp)}; "
                "fix the converter's category ids or set data.category_names=null"
            )
        if _norm(exp[cid]) != _norm(name):
            raise DatasetError(
                f"{index.source}: category {cid} is {name!r} but data.category_names says {exp[cid]!r}; "
                "fix the converter's category ids or set data.category_names=null to use the JSON's names"
            )
