"""Atomic file output: write to a temporary sibling, then rename over the target.

Temporary names are ``.<target name>.<pid>-<random>.tmp``: hidden and never ending in the output's
suffix, so a glob for ``*.png`` / ``*.csv`` never picks one up. Writers that choose the format from
the file name must state it (``savefig(tmp, format="png")``, ``cv2.imencode``, ``np.save`` to an
open file). Leftovers of a killed process (its pid no longer running) are removed by the next write
of the same target and by ``remove_stale_temps(folder)``, which entry points call on their output folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
from pathlib import Path
from typing import Any, Iterator

TEMP_PATTERN = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)-[0-9a-f]{8}\.tmp$")


def _default_mode() -> int:
    """The mode a plain ``open()`` would give a new file (0o666 minus the umask); mkstemp uses 0o600."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def _remove_if_stale(path: Path) -> bool:
    m = TEMP_PATTERN.match(path.name)
    if m is None or _alive(int(m["pid"])):
        return False
    with contextlib.suppress(OSError):
        path.unlink()
        return True
    return False


def remove_stale_temps(folder: str | os.PathLike, recursive: bool = True) -> int:
    """Delete temporary files that killed processes left under ``folder``; returns how many."""
    folder = Path(folder)
    if not folder.is_dir():
        return 0
    candidates = folder.rglob(".*.tmp") if recursive else folder.glob(".*.tmp")
    return sum(_remove_if_stale(p) for p in candidates if p.is_file())


def temp_name(target: Path) -> Path:
    return target.parent / f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp"


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path next to ``target``; on success it is renamed to ``target``.

    On an exception the temporary file is removed and ``target`` is left untouched. ``suffix`` is
    accepted for compatibility and ignored: the temporary name always ends in ``.tmp``.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    for old in target.parent.glob(f".{glob_escape(target.name)}.*.tmp"):
        _remove_if_stale(old)
    tmp_path = temp_name(target)
    os.close(os.open(tmp_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    try:
        yield tmp_path
        if tmp_path.exists():
            os.chmod(tmp_path, _default_mode())
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def glob_escape(name: str) -> str:
    """``name`` with glob metacharacters escaped."""
    return re.sub(r"([*?\[])", r"[\1]", name)


def write_text(target: str | os.PathLike, text: str) -> Path:
    """Atomically write ``text`` (UTF-8) to ``target``."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def write_json(target: str | os.PathLike, obj: Any, indent: int | None = 2) -> Path:
    """Atomically write ``obj`` as JSON with sorted keys (byte-identical on re-runs)."""
    return write_text(target, json.dumps(obj, indent=indent, sort_keys=True) + "\n")
