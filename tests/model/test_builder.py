"""Model building: every variant, checkpoint round trips (ours and Meta's), freezing, errors."""

from __future__ import annotations

import pytest
import torch

from sam2_video.config import compose_config
from sam2_video.errors import CheckpointError, ConfigError
from sam2_video.model.builder import build_sam2_model
from sam2_video.model.checkpoint import save_official
from sam2_video.model.freeze import apply_trainable_modules, module_names
from sam2_video.model.meta import build_meta_video_predictor

OFFICIAL = [f"{v}_{s}" for v in ("sam2", "sam2.1") for s in ("tiny", "small", "base_plus", "large")]
# Published parameter counts of the official checkpoints (millions), README of facebookresearch/sam2.
PUBLISHED_M = {"tiny": 38.9, "small": 46, "base_plus": 80.8, "large": 224.4}


def model_cfg(variant: str = "debug", *overrides: str):
    return compose_config(["~data", f"sam2={variant}", "output_dir=/tmp/unused", *overrides]).model


@pytest.mark.parametrize("variant", OFFICIAL)
def test_official_variants_instantiate_with_published_size(variant):
    net = build_sam2_model(model_cfg(variant))
    n = sum(p.numel() for p in net.parameters()) / 1e6
    assert n == pytest.approx(PUBLISHED_M[variant.split("_", 1)[1]], rel=0.01)
    has_21_keys = "obj_ptr_tpos_proj.weight" in net.state_dict()
    assert has_21_keys == variant.startswith("sam2.1")


def test_knobs_reach_the_network():
    net = build_sam2_model(model_cfg("debug", "model.num_maskmem=3", "model.image_size=64",
                                     "model.max_obj_ptrs_in_encoder=4", "model.multimask_output_in_sam=false"))
    assert (net.num_maskmem, net.image_size, net.max_obj_ptrs_in_encoder) == (3, 64, 4)
    assert net.multimask_output_in_sam is False


def _image_features(net, seed=0):
    torch.manual_seed(seed)
    x = torch.randn(1, 3, net.image_size, net.image_size)
    with torch.no_grad():
        return net.eval().forward_image(x)["backbone_fpn"]


def test_official_round_trip_into_our_builder_and_metas_predictor(tmp_path):
    torch.manual_seed(1)
    src = build_sam2_model(model_cfg())
    path = save_official(src, tmp_path / "w.pt")
    torch.manual_seed(2)  # different random init, then overwritten by the checkpoint
    ours = build_sam2_model(model_cfg("debug", f"model.checkpoint_path={path}"))
    meta = build_meta_video_predictor(model_cfg(), path)
    assert set(ours.state_dict()) == set(meta.state_dict()) == set(src.state_dict())
    for a, b, c in zip(_image_features(src), _image_features(ours), _image_features(meta)):
        torch.testing.assert_close(a, b)
        torch.testing.assert_close(a, c)


def test_lightning_checkpoint_loads(tmp_path):
    src = build_sam2_model(model_cfg())
    state = {f"model.{k}": v for k, v in src.state_dict().items()}
    state["loss.dummy"] = torch.zeros(1)
    torch.save({"state_dict": state, "global_step": 3}, tmp_path / "last.ckpt")
    ours = build_sam2_model(model_cfg("debug", f"model.checkpoint_path={tmp_path / 'last.ckpt'}"))
    for (k, a), b in zip(src.state_dict().items(), ours.state_dict().values()):
        assert torch.equal(a, b), k


def test_missing_and_corrupt_files(tmp_path):
    with pytest.raises(CheckpointError, match=r"nope\.pt: checkpoint file not found"):
        build_sam2_model(model_cfg("debug", f"model.checkpoint_path={tmp_path / 'nope.pt'}"))
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a zip file at all")
    with pytest.raises(CheckpointError, match=r"bad\.pt: not a readable torch checkpoint"):
        build_sam2_model(model_cfg("debug", f"model.checkpoint_path={bad}"))
    torch.save({"weights": {}}, tmp_path / "odd.pt")
    with pytest.raises(CheckpointError, match=r"odd\.pt: expected an official"):
        build_sam2_model(model_cfg("debug", f"model.checkpoint_path={tmp_path / 'odd.pt'}"))


def test_sam2_vs_sam21_mismatch_names_keys_and_fix(tmp_path):
    path = save_official(build_sam2_model(model_cfg()), tmp_path / "v21.pt")
    as_sam20 = ["model.no_obj_embed_spatial=false", "model.add_tpos_enc_to_obj_ptrs=false",
                "model.proj_tpos_enc_in_obj_ptrs=false", "model.use_signed_tpos_enc_to_obj_ptrs=false",
                "model.variant=sam2_tiny"]
    with pytest.raises(CheckpointError) as err:
        build_sam2_model(model_cfg("debug", *as_sam20, f"model.checkpoint_path={path}"))
    msg = str(err.value)
    assert "v21.pt" in msg and "sam2_tiny" in msg and "no_obj_embed_spatial" in msg
    assert "use sam2=sam2.1_tiny" in msg and "\n" not in msg


def test_wrong_size_variant_reports_shapes(tmp_path):
    path = save_official(build_sam2_model(model_cfg()), tmp_path / "debug.pt")
    with pytest.raises(CheckpointError, match=r"does not match model variant 'sam2.1_tiny'.*shape mismatches"):
        build_sam2_model(model_cfg("sam2.1_tiny", f"model.checkpoint_path={path}"))


def test_default_freezes_all_but_memory_modules():
    net = build_sam2_model(model_cfg())
    for name, p in net.named_parameters():
        assert p.requires_grad == name.startswith(("memory_attention.", "memory_encoder.")), name


@pytest.mark.parametrize("chosen", [["sam_mask_decoder"], ["image_encoder", "obj_ptr_proj"], ["all"]])
def test_trainable_modules_selection(chosen):
    net = build_sam2_model(model_cfg("debug", f"model.trainable_modules=[{','.join(chosen)}]"))
    n_train, n_total = apply_trainable_modules(net, chosen)
    expected = sum(p.numel() for n, p in net.named_parameters() if "all" in chosen or n.split(".")[0] in chosen)
    assert n_train == expected and 0 < n_train <= n_total


def test_unknown_module_lists_valid_names():
    with pytest.raises(ConfigError) as err:
        build_sam2_model(model_cfg("debug", "model.trainable_modules=[memory_attn]"))
    assert "memory_attn" in str(err.value)
    for name in ("memory_attention", "sam_mask_decoder", "image_encoder", "obj_ptr_proj"):
        assert name in str(err.value) and name in module_names(build_sam2_model(model_cfg()))


def test_prompt_mix_maps_to_metas_two_coins():
    from dataclasses import astuple

    from sam2_video.prompt import kind_probabilities

    assert astuple(kind_probabilities({"point": 0.25, "box": 0.25, "mask": 0.5})) == (0.5, 0.5, 0.0)
    assert astuple(kind_probabilities({"mask": 1})) == (0.0, 0.0, 0.0)
    assert astuple(kind_probabilities({"box": 2})) == (1.0, 1.0, 0.0)
    with pytest.raises(ConfigError, match="unknown kinds"):
        kind_probabilities({"scribble": 1.0})


def test_trainable_modules_all_as_one_name():
    """``model.trainable_modules=all`` (a string, not a list) trains everything (not the letters a, l, l)."""
    from sam2_video.config import compose_config
    from sam2_video.model.builder import build_sam2_model

    net = build_sam2_model(compose_config(["sam2=debug", "model.trainable_modules=all"]).model)
    assert all(p.requires_grad for p in net.parameters())
