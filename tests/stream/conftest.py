"""Fixtures of the streaming tests: a small synthetic split and the debug SAM2 (tests/conftest.py)."""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from sam2_video.config import compose_config

SYNTH = ["data.synthetic.num_videos=6", "data.synthetic.num_frames=8", "data.synthetic.size=[64,80]"]


@pytest.fixture(scope="session")
def stream_cfg(tmp_path_factory):
    root = tmp_path_factory.mktemp("stream_synth") / "data"
    out = tmp_path_factory.mktemp("stream_out")
    return compose_config(["sam2=debug", f"data.root={root}", f"output_dir={out}", "stream.progress=false", *SYNTH])


@pytest.fixture(scope="session")
def synth_videos(stream_cfg):
    from sam2_video.eval.evaluate import load_index

    return load_index(stream_cfg, "val")


@pytest.fixture
def settings(stream_cfg):
    """StreamSettings / EvalSettings of the composed config with keyword overrides."""
    from sam2_video.pipeline.eval_settings import EvalSettings
    from sam2_video.pipeline.settings import StreamSettings

    def make(**kw):
        node = {**OmegaConf.to_container(stream_cfg.stream, resolve=True), **kw}
        return StreamSettings.from_config(node), EvalSettings.from_config(
            OmegaConf.to_container(stream_cfg.eval, resolve=True))

    return make
