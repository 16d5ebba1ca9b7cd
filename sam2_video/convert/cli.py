"""Entry-point helper for the ``data/*.py`` converter scripts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from loguru import logger

from sam2_video.errors import UserError


def run(func: Callable[..., Any], **kwargs: Any) -> int:
    """Call ``func(**kwargs)``; a UserError or OSError is logged as one line and gives exit status 2.

    Outputs are atomic, so a failed run leaves no partial JSON or image tree behind.
    """
    try:
        func(**kwargs)
    except UserError as exc:
        logger.error("{}", exc)
        return 2
    except OSError as exc:
        logger.error("{}: check the paths, permissions and free disk space", exc)
        return 2
    return 0
