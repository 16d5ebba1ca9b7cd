"""Shared behaviour of the command-line entry points."""

from __future__ import annotations

import contextlib
import sys
from typing import Iterator

from loguru import logger

from sam2_video.errors import UserError


@contextlib.contextmanager
def exit_on_user_error() -> Iterator[None]:
    """Turn a ``UserError`` into one logged line and exit status 2 (no traceback)."""
    try:
        yield
    except UserError as exc:
        logger.error(str(exc))
        sys.exit(2)
