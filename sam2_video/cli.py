"""Shared behaviour of the command-line entry points."""

from __future__ import annotations

import contextlib
import sys
from typing import Callable, Iterator

import hydra
from hydra.core.global_hydra import GlobalHydra
from loguru import logger

from sam2_video.config import CONFIG_DIR
from sam2_video.errors import UserError


@contextlib.contextmanager
def exit_on_user_error() -> Iterator[None]:
    """Turn a ``UserError`` into one logged line and exit status 2 (no traceback)."""
    try:
        yield
    except UserError as exc:
        logger.error(str(exc))
        sys.exit(2)


def hydra_main(config_name: str = "config") -> Callable:
    """``@hydra.main`` over this project's ``configs/`` with ``UserError`` -> exit 2.

    Importing ``sam2`` initialises Hydra's global state with Meta's config module, which
    ``@hydra.main`` refuses; it is cleared here (we never use Meta's config module).
    """

    def decorate(fn: Callable) -> Callable:
        GlobalHydra.instance().clear()

        def run(cfg):
            with exit_on_user_error():
                return fn(cfg)

        run.__name__ = fn.__name__
        run.__doc__ = fn.__doc__
        return hydra.main(config_path=str(CONFIG_DIR), config_name=config_name, version_base="1.3")(run)

    return decorate
