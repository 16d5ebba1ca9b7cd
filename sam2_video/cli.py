"""The command-line layer every entry point uses.

- ``setup_console(level)``: the Loguru console sink (one format for every script).
- ``exit_on_user_error()``: a ``UserError`` becomes its one line on stderr and exit status 2.
- ``hydra_main(check=..., description=...)``: ``@hydra.main`` over ``configs/`` that first composes the
  same config (name or ``--config-name`` / ``--config-dir``, overrides) and runs ``check`` on it, so a
  bad value is refused before Hydra creates the run folder: nothing is written.
- ``compose`` (a config name or a YAML file + overrides) lives in ``sam2_video.config``.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Callable, Iterator, Optional, Sequence

import hydra
from hydra.core.global_hydra import GlobalHydra
from loguru import logger
from omegaconf import DictConfig

from sam2_video.config import CONFIG_DIR, compose
from sam2_video.errors import UserError
from sam2_video.renamed_keys import check_overrides, refuse_flags

CONSOLE_FORMAT = "<green>{time:HH:mm:ss}</green> | <level>{level: <7}</level> | {message}"


def setup_console(level: str = "INFO") -> None:
    """Replace Loguru's sinks by one console sink on stderr."""
    logger.remove()
    logger.add(sys.stderr, level=level, format=CONSOLE_FORMAT)


@contextlib.contextmanager
def exit_on_user_error() -> Iterator[None]:
    """Turn a ``UserError`` into one logged line and exit status 2 (no traceback)."""
    try:
        yield
    except UserError as exc:
        logger.error(str(exc))
        sys.exit(2)


def remove_unused_run_dir() -> None:
    """After a refused single run: delete Hydra's run folder if it holds nothing but Hydra's ``.hydra/``."""
    import shutil

    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    try:
        hc = HydraConfig.get()
        if hc.mode != RunMode.RUN:
            return
        out = Path(hc.runtime.output_dir)
    except Exception:  # noqa: BLE001 - not inside a Hydra run
        return
    if out.is_dir() and {p.name for p in out.iterdir()} <= {".hydra"}:
        shutil.rmtree(out / ".hydra", ignore_errors=True)
        with contextlib.suppress(OSError):
            out.rmdir()


def in_sweep() -> bool:
    """Whether this process runs a job of a Hydra multirun (``-m``)."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    return HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN


def run_dir_follows_output_dir(argv: list[str]) -> list[str]:
    """Add ``hydra.run.dir=X`` to command-line overrides that set ``output_dir=X`` (single runs), so
    Hydra's own files go to the chosen folder instead of an unused ``outputs/<date>/<time>``."""
    if any(a in ("-m", "--multirun") or a.lstrip("+").startswith("hydra.run.dir=") for a in argv):
        return argv
    dirs = [a.split("=", 1)[1] for a in argv if a.lstrip("+").startswith("output_dir=")]
    return [*argv, f"hydra.run.dir={dirs[-1]}"] if dirs else argv


def hydra_options() -> list[str]:
    """The option strings of Hydra's command line (``--cfg``, ``--config-name``, ``-m``, ...)."""
    from hydra._internal.utils import get_args_parser

    return list(get_args_parser()._option_string_actions)


def compose_like_hydra(argv: Sequence[str], config_name: str = "config") -> Optional[DictConfig]:
    """The config a ``@hydra.main`` run with ``argv`` gets (``None`` for sweeps, ``--help``, ``--cfg``, ...)."""
    from hydra._internal.utils import get_args_parser

    try:
        args = get_args_parser().parse_args(list(argv))
    except SystemExit:  # Hydra reports its own usage errors
        return None
    if args.multirun or args.cfg or args.help or args.hydra_help or args.info or args.shell_completion \
            or args.experimental_rerun:
        return None
    name = args.config_name or config_name
    config_dir = None
    for folder in (args.config_dir, args.config_path):
        if folder and (Path(folder) / f"{name}.yaml").is_file():
            config_dir = folder
    overrides = [o for o in args.overrides if not o.lstrip("+~").startswith("hydra.")]
    return compose(name, overrides, config_dir or CONFIG_DIR)


def hydra_main(config_name: str = "config", check: Optional[Callable[[DictConfig], None]] = None,
               description: str = "") -> Callable:
    """``@hydra.main`` over this project's ``configs/`` with ``UserError`` -> exit 2.

    ``check(cfg)`` runs on the composed config before Hydra starts the run (and creates its folder);
    a ``UserError`` from it is one line and exit status 2. ``description`` is printed above Hydra's
    ``--help``. Importing ``sam2`` initialises Hydra's global state with Meta's config module, which
    ``@hydra.main`` refuses; it is cleared here. ``output_dir=X`` also sets ``hydra.run.dir=X``.
    """

    def decorate(fn: Callable) -> Callable:
        GlobalHydra.instance().clear()

        def run(cfg):
            with exit_on_user_error():
                try:
                    return fn(cfg)
                except UserError as exc:
                    remove_unused_run_dir()
                    if in_sweep():  # one job of a sweep: a failed job (the launcher / sweeper records it,
                        # e.g. an Optuna trial FAIL, and the other jobs run), not an exit of the whole sweep
                        raise RuntimeError(f"{cfg.get('output_dir')}: {exc}") from exc
                    raise

        run.__name__ = fn.__name__
        run.__doc__ = fn.__doc__
        main = hydra.main(config_path=str(CONFIG_DIR), config_name=config_name, version_base="1.3")(run)

        def entry() -> None:
            argv = run_dir_follows_output_dir(sys.argv[1:])
            setup_console()
            if description and any(a in ("--help", "-h") for a in argv):
                sys.stdout.write(description.strip() + "\n\n")  # the help text is the output
            with exit_on_user_error():
                refuse_flags(argv, hydra_options())  # --epochs 50 & co: name trainer.max_epochs=50, not argparse's usage
                check_overrides(argv)  # a removed key, also in sweeps (-m), which are not composed here
            if check is not None:
                with exit_on_user_error():
                    cfg = compose_like_hydra(argv, config_name)
                    if cfg is not None:
                        check(cfg)
                GlobalHydra.instance().clear()
            sys.argv = [sys.argv[0], *argv]
            main()

        return entry

    return decorate
