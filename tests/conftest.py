"""Shared fixtures: compose the real config tree (debug SAM2, CPU, tmp output dirs)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
import torch
from omegaconf import DictConfig
from PIL import Image

from sam2_video.config import compose_config

torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
REPO = Path(__file__).resolve().parents[1]


@dataclass
class CliRun:
    """What one command line gave (the fields of ``subprocess.CompletedProcess`` the tests read)."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str


def run_here(script: str | Path, argv: list[str]) -> int:
    """Run ``script`` (a file, or a module name for ``python -m``) as ``__main__`` IN this process with
    ``sys.argv = argv``; its exit status (``sys.exit``; an exception propagates). Afterwards it restores
    what a script sets up process-wide: ``sys.argv`` / ``sys.path``, Hydra's global state, Loguru's sinks
    (one that follows pytest's capture) and the logging handlers it added."""
    import logging
    import runpy

    from hydra.core.global_hydra import GlobalHydra
    from loguru import logger

    def loggers() -> list[logging.Logger]:
        return [logging.getLogger(), *(lg for lg in logging.Logger.manager.loggerDict.values()
                                       if isinstance(lg, logging.Logger))]

    # every logger's handlers and flags: Hydra's job logging (dictConfig) and Lightning add handlers bound to
    # this run's captured stderr, which a later test would write to after it is closed
    logging_state = {lg: (list(lg.handlers), lg.level, lg.disabled, lg.propagate) for lg in loggers()}
    saved_argv, saved_path = sys.argv, list(sys.path)
    sys.argv = list(argv)
    try:
        if str(script).endswith(".py"):
            runpy.run_path(str(script), run_name="__main__")
        else:  # a module: python -m <script>
            runpy.run_module(str(script), run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path
        GlobalHydra.instance().clear()
        logger.remove()
        logger.add(lambda m: sys.stderr.write(m), level="DEBUG")
        for lg in loggers():
            handlers, level, disabled, propagate = logging_state.get(lg, ([], logging.NOTSET, False, True))
            for h in [h for h in lg.handlers if h not in handlers]:
                lg.removeHandler(h)
                h.close()
            lg.setLevel(level)
            lg.disabled, lg.propagate = disabled, propagate
    return 0


@pytest.fixture
def run_cli(monkeypatch, capfd) -> Callable[..., CliRun]:
    """``run_cli("train.py", *args, cwd=...)``: the top-level script run IN this process (``run_here``), as
    ``python <script> <args>`` from ``cwd`` is: its exit status, stdout and stderr (file descriptors 1 / 2).
    For refusals and short commands: it saves the ~3 s interpreter start-up of a subprocess (and ~8 s
    of Lightning imports for train.py). Runs that sweep on other launchers or are killed use a subprocess."""

    def _run(script: str, *args: str, cwd: Path = REPO) -> CliRun:
        monkeypatch.chdir(cwd)
        capfd.readouterr()
        target = REPO / script if script.endswith(".py") else script
        code = run_here(target, [str(REPO / script), *args])
        out, err = capfd.readouterr()
        return CliRun([script, *args], code, out, err)

    return _run


@pytest.fixture(scope="session")
def synthetic_root(tmp_path_factory) -> Path:
    """A small synthetic dataset (COCO + DAVIS layouts), generated once per session."""
    from sam2_video.data.synthetic import generate_dataset

    root = tmp_path_factory.mktemp("synthetic")
    generate_dataset(root, num_videos=4, num_frames=10, size=(96, 128), seed=0)
    return root


@pytest.fixture
def make_cfg(tmp_path, synthetic_root) -> Callable[..., DictConfig]:
    """Compose a CPU / debug-model config with outputs in ``tmp_path`` and the synthetic data."""

    def _make(*overrides: str, config_name: str = "config") -> DictConfig:
        base = [
            "sam2=debug",
            "trainer=cpu",
            "logger=none",
            f"output_dir={tmp_path / 'run'}",
            f"paths.root_dir={tmp_path}",
            f"data.root={synthetic_root}",
            "data.num_workers=0",
        ]
        return compose_config(base + list(overrides), config_name=config_name)

    return _make


# ---- the tiny debug SAM2 and a small JPEG video (evaluation, inference core, streaming) ----
def compose_cfg(overrides: list[str]):
    """Compose the root config with Hydra overrides."""
    return compose_config(overrides)


def make_debug_model(cfg):
    """The debug SAM2 with random weights, object-score bias raised so that masks are non-empty."""
    from sam2_video.model.builder import build_sam2_model

    torch.manual_seed(0)
    model = build_sam2_model(cfg.model)
    with torch.no_grad():
        model.sam_mask_decoder.pred_obj_score_head.layers[-1].bias += 20.0
    return model.eval()


@pytest.fixture(scope="session")
def debug_cfg():
    return compose_cfg(["sam2=debug"])


@pytest.fixture(scope="session")
def debug_model(debug_cfg):
    return make_debug_model(debug_cfg)


def shapes_video(t_len: int = 10, h: int = 72, w: int = 88, seed: int = 0):
    """Frames (T, H, W, 3) uint8 and masks (T, 3, H, W) bool of three moving discs."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:h, :w]
    frames = np.empty((t_len, h, w, 3), np.uint8)
    masks = np.zeros((t_len, 3, h, w), bool)
    specs = [(20, 20, 10, (255, 40, 40)), (45, 50, 13, (40, 255, 40)), (25, 65, 7, (40, 40, 255))]
    for t in range(t_len):
        img = (rng.random((h, w, 3)) * 60).astype(np.uint8)
        for o, (cy, cx, r, c) in enumerate(specs):
            m = (yy - cy - t) ** 2 + (xx - cx - t) ** 2 < r * r
            img[m] = c
            masks[t, o] = m
        frames[t] = img
    return frames, masks


@pytest.fixture(scope="session")
def jpeg_video(tmp_path_factory):
    """A JPEG folder (Meta's predictor input), the decoded frames and the masks."""
    folder = tmp_path_factory.mktemp("video")
    frames, masks = shapes_video()
    for t, img in enumerate(frames):
        Image.fromarray(img).save(folder / f"{t:05d}.jpg", quality=95)
    decoded = np.stack([np.array(Image.open(folder / f"{t:05d}.jpg").convert("RGB")) for t in range(len(frames))])
    return folder, decoded, masks
