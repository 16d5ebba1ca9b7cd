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


def run_dir_follows_output_dir(argv: list[str]) -> list[str]:
    """Add ``hydra.run.dir=X`` to command-line overrides that set ``output_dir=X`` (single runs), so
    Hydra's own files go to the chosen folder instead of an unused ``outputs/<date>/<time>``."""
    if any(a in ("-m", "--multirun") or a.lstrip("+").startswith("hydra.run.dir=") for a in argv):
        return argv
    dirs = [a.split("=", 1)[1] for a in argv if a.lstrip("+").startswith("output_dir=")]
    return [*argv, f"hydra.run.dir={dirs[-1]}"] if dirs else argv


def hydra_main(config_name: str = "config") -> Callable:
    """``@hydra.main`` over this project's ``configs/`` with ``UserError`` -> exit 2.

    Importing ``sam2`` initialises Hydra's global state with Meta's config module, which
    ``@hydra.main`` refuses; it is cleared here (we never use Meta's config module).
    ``output_dir=X`` on the command line also sets ``hydra.run.dir=X``.
    """

    def decorate(fn: Callable) -> Callable:
        GlobalHydra.instance().clear()

        def run(cfg):
            with exit_on_user_error():
                return fn(cfg)

        run.__name__ = fn.__name__
        run.__doc__ = fn.__doc__
        main = hydra.main(config_path=str(CONFIG_DIR), config_name=config_name, version_base="1.3")(run)

        def entry() -> None:
            sys.argv = [sys.argv[0], *run_dir_follows_output_dir(sys.argv[1:])]
            main()

        return entry

    return decorate
