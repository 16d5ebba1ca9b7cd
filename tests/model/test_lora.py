"""LoRA (model.lora): what trains, what the Lightning checkpoint holds, and the merged official export
reproducing the adapted model in Meta's own predictor (debug and sam2.1_tiny)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from sam2_video.config import compose_config
from sam2_video.errors import CheckpointError, ConfigError
from sam2_video.model.builder import build_sam2_model
from sam2_video.model.checkpoint import load_into, save_official
from sam2_video.model.lora import apply_lora, is_adapter, merged_state_dict, official_name
from sam2_video.model.meta import build_meta_video_predictor

TARGETS = ["image_encoder.trunk.blocks.*.attn.qkv", "image_encoder.trunk.blocks.*.attn.proj",
           "sam_mask_decoder.transformer.layers.*.cross_attn_token_to_image.*_proj",
           "memory_attention.layers.*.self_attn.q_proj"]


def _cfg(variant: str = "debug", *overrides: str):
    targets = "[" + ",".join(TARGETS) + "]"
    return compose_config(["~data", f"sam2={variant}", "output_dir=/tmp/unused", "model.lora.enabled=true",
                           f"model.lora.target_modules={targets}", "model.lora.r=4", *overrides]).model


def _randomize_adapters(net: torch.nn.Module, seed: int = 0) -> None:
    """What training does to the adapters (B starts at zero, which would make the test trivial)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in net.named_parameters():
            if is_adapter(name):
                p.copy_(torch.randn(p.shape, generator=g) * 0.05)


def test_trainable_parameters_are_adapters_plus_trainable_modules():
    from loguru import logger

    messages: list[str] = []
    sink = logger.add(lambda m: messages.append(str(m)), level="INFO")
    try:
        net = build_sam2_model(_cfg("debug", "model.trainable_modules=[memory_encoder]"))
    finally:
        logger.remove(sink)
    trainable = {n for n, p in net.named_parameters() if p.requires_grad}
    adapters = {n for n in trainable if is_adapter(n)}
    n_adapter = sum(p.numel() for n, p in net.named_parameters() if is_adapter(n))
    n_train = sum(p.numel() for p in net.parameters() if p.requires_grad)
    logged = [m for m in messages if "LoRA r=4" in m]
    assert len(logged) == 1 and f"{n_adapter:,} adapter parameters" in logged[0] and f"trainable now {n_train:,}" in logged[0]
    assert adapters and all(".lora_A." in n or ".lora_B." in n for n in adapters)
    assert trainable - adapters == {n for n, _ in net.named_parameters() if n.startswith("memory_encoder.")}
    # the wrapped base layers stay frozen, also where trainable_modules would not have trained them anyway
    assert not net.image_encoder.trunk.blocks[0].attn.qkv.base_layer.weight.requires_grad
    assert {n.split(".", 1)[0] for n in adapters} == {"image_encoder", "sam_mask_decoder", "memory_attention"}
    # trainable_modules=[image_encoder] + LoRA there: base weights and adapters both train
    net2 = build_sam2_model(_cfg("debug", "model.trainable_modules=[image_encoder]"))
    assert net2.image_encoder.trunk.blocks[0].attn.qkv.base_layer.weight.requires_grad


def test_bad_lora_config_is_one_config_error():
    with pytest.raises(ConfigError, match="'image_encoder.nope.*' matches no"):
        build_sam2_model(_cfg("debug", "model.lora.target_modules=[image_encoder.nope.*]"))
    with pytest.raises(ConfigError, match="r=0"):
        build_sam2_model(_cfg("debug", "model.lora.r=0"))


def test_lora_checkpoint_refused_by_a_model_without_adapters(tmp_path):
    net = build_sam2_model(_cfg("debug"))
    state = {f"model.{k}": v for k, v in net.state_dict().items() if is_adapter(k)}
    torch.save({"state_dict": state}, tmp_path / "lora.ckpt")
    plain = build_sam2_model(compose_config(["~data", "sam2=debug", "output_dir=/tmp/unused"]).model)
    with pytest.raises(CheckpointError, match="LoRA training checkpoint.*model_official.pt"):
        load_into(plain, tmp_path / "lora.ckpt", "debug")
    load_into(net, tmp_path / "lora.ckpt", "debug")  # into a LoRA model: the adapters load, the base stays


def _video(folder: Path, t_len: int, size: int, seed: int = 0) -> np.ndarray:
    """JPEG frames with two moving bright squares; returns their (2, H, W) first-frame masks."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    masks = np.zeros((2, size, size), bool)
    for t in range(t_len):
        img = (rng.random((size, size, 3)) * 80).astype(np.uint8)
        for o, (y, x) in enumerate([(size // 5 + t, size // 5), (size // 2, size // 2 + t)]):
            img[y:y + size // 4, x:x + size // 4] = (220, 60 + 120 * o, 40)
            if t == 0:
                masks[o, y:y + size // 4, x:x + size // 4] = True
        Image.fromarray(img).save(folder / f"{t:05d}.jpg", quality=95)
    return masks


def _meta_logits(predictor, folder: Path, masks: np.ndarray) -> dict[int, torch.Tensor]:
    state = predictor.init_state(str(folder))
    for o, m in enumerate(masks):
        predictor.add_new_mask(state, 0, o + 1, m)
    return {t: m.clone() for t, _, m in predictor.propagate_in_video(state)}


# The debug variant runs the same LoRA / merge / export code in the fast suite; sam2.1_tiny (a real
# Hiera, 39M parameters) takes ~12 s and runs with `make test-slow`.
@pytest.mark.parametrize("variant,overrides,t_len", [("debug", [], 6),
                                                      pytest.param("sam2.1_tiny", ["model.image_size=256"], 3,
                                                                   marks=pytest.mark.slow)])
def test_merged_export_reproduces_adapted_model_in_meta_predictor(tmp_path, variant, overrides, t_len):
    torch.manual_seed(0)
    cfg = _cfg(variant, *overrides)
    adapted = build_sam2_model(cfg).eval()
    with torch.no_grad():  # random debug weights: make the masks non-empty so the logits matter
        adapted.sam_mask_decoder.pred_obj_score_head.layers[-1].bias += 20.0
    _randomize_adapters(adapted)
    merged_path = save_official(adapted, tmp_path / "merged.pt")
    merged = torch.load(merged_path, weights_only=True)["model"]
    assert not any(is_adapter(k) or ".base_layer." in k for k in merged)

    # the export is a plain official state dict: Meta's builder loads it (strictly) unchanged
    meta_merged = build_meta_video_predictor(cfg, merged_path)
    # the adapted model in Meta's predictor: base weights + the same adapters injected by peft
    base = {official_name(k): v for k, v in adapted.state_dict().items() if not is_adapter(k)}
    torch.save({"model": base}, tmp_path / "base.pt")
    meta_adapted = build_meta_video_predictor(cfg, tmp_path / "base.pt")
    apply_lora(meta_adapted, cfg.lora)
    missing, unexpected = meta_adapted.load_state_dict(
        {k: v for k, v in adapted.state_dict().items() if is_adapter(k)}, strict=False)
    assert not unexpected and all(not is_adapter(k) for k in missing)
    meta_adapted.eval()

    # our adapted network and the merged one give the same image features
    x = torch.randn(1, 3, cfg.image_size, cfg.image_size)
    with torch.no_grad():
        ours, theirs = adapted.forward_image(x), meta_merged.forward_image(x)
    for a, b in zip(ours["backbone_fpn"], theirs["backbone_fpn"]):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)

    masks = _video(tmp_path / "video", t_len, 64)
    ref, got = _meta_logits(meta_adapted, tmp_path / "video", masks), _meta_logits(meta_merged, tmp_path / "video", masks)
    assert sorted(ref) == list(range(t_len))
    for t in ref:
        torch.testing.assert_close(got[t], ref[t], rtol=1e-5, atol=1e-5)
    # and the adapters matter: without them the logits differ
    plain = _meta_logits(build_meta_video_predictor(cfg, tmp_path / "base.pt"), tmp_path / "video", masks)
    assert max(float((plain[t] - ref[t]).abs().max()) for t in ref) > 1e-3
    assert merged_state_dict(adapted).keys() == merged.keys()


def test_lora_training_run_checkpoint_holds_trained_tensors_and_export_loads(make_cfg):
    from sam2_video.training.train import train

    fast = ["trainer.max_epochs=1", "trainer.limit_train_batches=2", "trainer.limit_val_batches=1",
            "evaluate_after_training=false", "data.clip_length=3", "data.augment=null", "callbacks.val_vis.count=0",
            "model.lora.enabled=true", "model.trainable_modules=[obj_ptr_proj]", "optim.lr=1e-2"]
    cfg = make_cfg(*fast)
    result = train(cfg)
    out = Path(cfg.output_dir)
    ckpt = torch.load(out / "checkpoints" / "last.ckpt", weights_only=True)
    keys = {k[len("model."):] for k in ckpt["state_dict"] if k.startswith("model.")}
    assert keys and all(is_adapter(k) or k.startswith("obj_ptr_proj.") for k in keys)
    assert any(k.startswith("obj_ptr_proj.") for k in keys)
    # the adapters trained (B started at zero)
    assert any(float(v.abs().max()) > 0 for k, v in ckpt["state_dict"].items() if ".lora_B." in k)
    official = torch.load(result["official_weights"], weights_only=True)["model"]
    meta = build_meta_video_predictor(cfg.model, result["official_weights"])  # strict load in Meta's builder
    assert meta.state_dict().keys() == official.keys()

    # resume from the adapter-only checkpoint: base from model.checkpoint_path (random here: same seed)
    resumed = train(make_cfg(*fast, "trainer.max_epochs=2", f"ckpt_path={out / 'checkpoints' / 'last.ckpt'}"))
    assert resumed["global_step"] == 4
