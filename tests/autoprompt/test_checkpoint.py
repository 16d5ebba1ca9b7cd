"""Export next to the official file, reload, same predictions; one-without-the-other is an error."""

from __future__ import annotations

import pytest
import torch

from sam2_video.errors import CheckpointError
from sam2_video.model.checkpoint import load_file, save_official
from tests.autoprompt.conftest import auto_cfg
from tests.autoprompt.test_hook import run_session
from tests.conftest import shapes_video


def _build(*overrides):
    from sam2_video.model.builder import build_sam2_model

    return build_sam2_model(auto_cfg(*overrides).model).eval()


def test_export_reload_reproduces_predictions(tmp_path, auto_model):
    official = tmp_path / "model_official.pt"
    save_official(auto_model, official)
    enc_file = tmp_path / "model_official.auto_prompt.pt"
    assert enc_file.is_file()
    sam2_keys = set(load_file(official)["model"])
    assert sam2_keys and not any(k.startswith("auto_prompt.") for k in sam2_keys)
    # the official file is plain SAM2: it loads strictly into a model without a prompt encoder
    from sam2_video.model.builder import build_sam2_model

    plain = build_sam2_model(auto_cfg("model.auto_prompt.enabled=false", f"model.checkpoint_path={official}").model)
    assert not hasattr(plain, "auto_prompt")
    reloaded = _build(f"model.checkpoint_path={official}")
    frames, _ = shapes_video(t_len=3)
    assert torch.equal(run_session(auto_model, frames), run_session(reloaded, frames))
    # an explicit encoder path works the same when the file was moved
    moved = tmp_path / "elsewhere.pt"
    enc_file.rename(moved)
    again = _build(f"model.checkpoint_path={official}", f"model.auto_prompt.checkpoint_path={moved}")
    assert torch.equal(run_session(auto_model, frames), run_session(again, frames))


def test_missing_encoder_weights_is_one_line(tmp_path, auto_model):
    official = tmp_path / "model_official.pt"
    save_official(auto_model, official)
    (tmp_path / "model_official.auto_prompt.pt").unlink()
    with pytest.raises(CheckpointError, match="prompt-encoder weights .* are missing") as err:
        _build(f"model.checkpoint_path={official}")
    assert "\n" not in str(err.value)


def test_training_from_a_sam2_only_file_starts_the_encoder_fresh(tmp_path, auto_model):
    """experiment=autosam2 from Meta's checkpoint (no encoder file can exist yet): SAM2's weights load,
    the encoder keeps its fresh initialisation (missing_encoder=random); the default still refuses."""
    official = tmp_path / "model_official.pt"
    save_official(auto_model, official)
    (tmp_path / "model_official.auto_prompt.pt").unlink()
    model = _build(f"model.checkpoint_path={official}", "model.auto_prompt.missing_encoder=random")
    sam = {k: v for k, v in model.state_dict().items() if not k.startswith("auto_prompt.")}
    assert all(torch.equal(v, auto_model.state_dict()[k]) for k, v in sam.items())
    fresh = _build("model.auto_prompt.missing_encoder=random").auto_prompt.state_dict()  # same seed, no file
    assert all(torch.equal(v, fresh[k]) for k, v in model.auto_prompt.state_dict().items())


def test_encoder_without_sam2_weights_is_an_error(tmp_path, auto_model):
    save_official(auto_model, tmp_path / "model_official.pt")
    with pytest.raises(CheckpointError, match="without SAM2 weights"):
        _build(f"model.auto_prompt.checkpoint_path={tmp_path / 'model_official.auto_prompt.pt'}")


def test_category_count_mismatch(tmp_path, auto_model):
    official = tmp_path / "model_official.pt"
    save_official(auto_model, official)
    with pytest.raises(CheckpointError, match="categories"):
        _build(f"model.checkpoint_path={official}", "model.auto_prompt.category_ids=[1,2,3,4]")
