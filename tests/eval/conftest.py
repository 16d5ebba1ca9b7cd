"""Shared fixtures for the evaluation tests: the tiny debug SAM2 and a small JPEG video."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

REPO = Path(__file__).resolve().parents[2]


def compose_cfg(overrides: list[str]):
    """Compose the root config with Hydra overrides."""
    from sam2_video.config import compose_config

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


SYNTH = ["data.synthetic.num_videos=8", "data.synthetic.num_frames=8", "data.synthetic.size=[64,80]"]


@pytest.fixture(scope="session")
def synth_root(tmp_path_factory):
    return tmp_path_factory.mktemp("synthetic") / "data"


@pytest.fixture(scope="session")
def synth_cfg(synth_root, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    return compose_cfg(["sam2=debug", f"data.root={synth_root}", f"output_dir={out}", *SYNTH])


@pytest.fixture(scope="session")
def synth_index(synth_cfg):
    from sam2_video.eval.evaluate import load_index

    return load_index(synth_cfg, "val")


def load_script(name: str):
    """Import a top-level script (baseline_eval.py, ...) as a module, whatever sys.path holds."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, REPO / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def scripts():
    return load_script


@pytest.fixture(scope="session")
def repo():
    return REPO


@pytest.fixture(scope="session")
def synth_overrides():
    return list(SYNTH)
