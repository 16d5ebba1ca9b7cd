"""Atomic image trees: write frames into a hidden temp folder, then rename into the image root."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

from loguru import logger


class StagedImageTree:
    """Context manager that stages files under a temp folder next to ``root``.

    ``commit()`` moves the staged tree into place: when ``root`` does not exist the whole temp
    folder is renamed to it; otherwise each staged top-level entry (one folder per video)
    replaces the entry of the same name by rename. Other entries of ``root`` are left alone.
    Leaving the context without ``commit()`` (e.g. on an error) deletes everything staged,
    including parent folders this object had to create.
    """

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(os.path.abspath(root))
        self.tmp: Path | None = None
        self._created: list[Path] = []
        self._committed = False

    def __enter__(self) -> StagedImageTree:
        missing = []
        parent = self.root.parent
        while not parent.exists():
            missing.append(parent)
            parent = parent.parent
        self.root.parent.mkdir(parents=True, exist_ok=True)
        self._created = missing  # deepest first
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.root.name}.tmp-", dir=self.root.parent))
        return self

    def path(self, relative: str) -> Path:
        """Absolute staging path for ``relative`` (its parent folders are created)."""
        assert self.tmp is not None, "use StagedImageTree as a context manager"
        target = self.tmp / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def commit(self) -> None:
        """Move the staged tree into ``root``."""
        assert self.tmp is not None
        if not self.root.exists():
            os.replace(self.tmp, self.root)
        else:
            trash = Path(tempfile.mkdtemp(prefix=".old-", dir=self.tmp))
            for entry in sorted(self.tmp.iterdir()):
                if entry == trash:
                    continue
                target = self.root / entry.name
                if target.exists() or target.is_symlink():
                    os.replace(target, trash / entry.name)
                os.replace(entry, target)
            shutil.rmtree(self.tmp)
        self._committed = True
        logger.info("frames written under {}", self.root)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._committed or self.tmp is None:
            return
        shutil.rmtree(self.tmp, ignore_errors=True)
        for folder in self._created:
            try:
                folder.rmdir()
            except OSError:
                break
