"""A train.py ``.ckpt`` works in every entry point with the settings stored in it (variant, prompt-free
encoder), and a prompt-free ``.ckpt`` is evaluated prompt-free unless the command line sets the kind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from sam2_video.config import compose_config
from sam2_video.model.checkpoint import LIGHTNING_PREFIX
from sam2_video.model.stored_config import MODEL_CONFIG_KEY, model_settings
from tests.autoprompt.conftest import auto_cfg, make_auto_model
from tests.conftest import make_debug_model



def _ckpt(cfg, model, path: Path) -> Path:
    """What train.py writes: the LightningModule's state dict (``model.*``) + the model settings."""
    torch.save({"state_dict": {LIGHTNING_PREFIX + k: v for k, v in model.state_dict().items()},
                MODEL_CONFIG_KEY: model_settings(cfg.model)}, path)
    return path


@pytest.fixture(scope="module")
def ckpts(tmp_path_factory):
    d = tmp_path_factory.mktemp("ckpt")
    plain_cfg, auto = compose_config(["sam2=debug"]), auto_cfg()
    return (_ckpt(plain_cfg, make_debug_model(plain_cfg), d / "debug.ckpt"),
            _ckpt(auto, make_auto_model(auto), d / "auto.ckpt"))


def test_stream_and_refiner_priors_take_a_ckpt_of_another_variant(ckpts, synthetic_root, tmp_path):
    """The default config is sam2.1_tiny; the .ckpt is the debug SAM2: its stored settings are used."""
    from sam2_video.refiner.make_data import make_data
    from sam2_video.stream.run import run_stream

    base = [f"model.checkpoint_path={ckpts[0]}", f"data.root={synthetic_root}", "eval.max_videos=1",
            "stream.progress=false", f"paths.root_dir={tmp_path}"]
    summary = run_stream(compose_config([*base, f"output_dir={tmp_path / 'stream'}"]))
    assert summary["overall"]["num_objects"] > 0 and summary["overall"]["JF"] == summary["overall"]["JF"]
    out = make_data(compose_config([*base, "experiment=refiner_demo", "refiner.resolution=[48,64]",
                                    f"refiner.work_dir={tmp_path / 'work'}", "logger=none"]))
    assert out["priors"]["written"] > 0


def test_prompt_free_ckpt_is_evaluated_prompt_free_unless_the_kind_is_set(ckpts, synthetic_root, tmp_path, run_cli):
    from sam2_video.eval.evaluate import evaluate

    common = [f"model.checkpoint_path={ckpts[1]}", f"data.root={synthetic_root}", "eval.max_videos=1",
              "eval.report=false", "eval.save_masks=false"]
    evaluate(compose_config([*common, f"output_dir={tmp_path / 'auto'}"]))
    assert json.loads((tmp_path / "auto" / "summary.json").read_text())["prompt"]["kind"] == "auto"
    r = run_cli("baseline_eval.py", *common, "prompt.kind=mask", f"output_dir={tmp_path / 'm'}")
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads((tmp_path / "m" / "summary.json").read_text())["prompt"]["kind"] == "mask"
