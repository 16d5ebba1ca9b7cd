"""Fixtures of the evaluation tests (the debug SAM2 and the JPEG video live in tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sam2_video.config import compose_config

REPO = Path(__file__).resolve().parents[2]


SYNTH = ["data.synthetic.num_videos=8", "data.synthetic.num_frames=8", "data.synthetic.size=[64,80]"]


@pytest.fixture(scope="session")
def synth_root(tmp_path_factory):
    """The synthetic dataset, generated once (entry points refuse a synthetic root that does not exist)."""
    from sam2_video.config import build

    root = tmp_path_factory.mktemp("synthetic") / "data"
    build(compose_config(["sam2=debug", f"data.root={root}", *SYNTH]).data).prepare_data()
    return root


@pytest.fixture(scope="session")
def synth_cfg(synth_root, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    return compose_config(["sam2=debug", f"data.root={synth_root}", f"output_dir={out}", *SYNTH])


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
