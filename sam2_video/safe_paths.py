"""Names read from data files (``video_id``, ``file_name``, frame names) that become output paths.

``confined(root, *names, key=...)`` joins them under ``root`` and refuses (``DatasetError``, one line
naming the key and value) an absolute name, ``..``, an empty / NUL-containing name or a symlink
that leads outside ``root``: a dataset can never make the project write outside its output folder.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath, PureWindowsPath

from sam2_video.errors import DatasetError


def check_name(name: str, key: str = "name", allow_subdirs: bool = True) -> str:
    """``name`` if it is a relative path without ``..`` parts (or, ``allow_subdirs=False``, one component)."""
    text = str(name)
    parts = PurePosixPath(text.replace("\\", "/")).parts
    bad = (not text.strip() or "\x00" in text or PurePosixPath(text).is_absolute() or PureWindowsPath(text).is_absolute()
           or PureWindowsPath(text).drive or any(p in ("..", "") for p in parts) or (not allow_subdirs and len(parts) != 1))
    if bad:
        raise DatasetError(f"{key}={text!r}: not usable as a file name inside the output folder (absolute path, "
                           "'..', separators or empty); rename it in the dataset")
    return text


def confined(root: str | os.PathLike, *names: str, key: str = "name") -> Path:
    """``root / names...`` after checking each name and that the result stays inside ``root``."""
    root = Path(root)
    path = root.joinpath(*(check_name(n, key) for n in names))
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    if os.path.commonpath([real_root, real]) != real_root:
        raise DatasetError(f"{key}={'/'.join(map(str, names))!r}: leads outside {root}; rename it in the dataset")
    return path
