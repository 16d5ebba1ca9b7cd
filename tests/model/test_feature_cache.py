"""Feature cache: same training as without it, frozen-encoder / no-augmentation checks, LRU bound."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import torch

from sam2_video.config import build
from sam2_video.errors import ConfigError
from sam2_video.model.feature_cache import FeatureCache
from sam2_video.training.train import build_module, train

CACHE = ["model.feature_cache.enabled=true", "data.augment=null", "data.clip_length=4"]


def _grads(module):
    return {n: p.grad.clone() for n, p in module.model.named_parameters() if p.grad is not None}


@pytest.mark.parametrize("batch_size", [1, 2])
def test_cached_steps_equal_uncached_steps(make_cfg, batch_size):
    """Same loss and gradients as without the cache, over batches whose clips overlap at shifted
    positions (windows with stride 1): a frame-key mix-up would return another frame's features."""
    data = ["data.augment=null", "data.clip_length=4", "data.val_clip_stride=1", f"data.batch_size={batch_size}"]
    cfg_plain, cfg_cache = make_cfg(*data), make_cfg(*data, "model.feature_cache.enabled=true")
    dm = build(cfg_plain.data)
    dm.setup("fit")
    batches = list(itertools.islice(iter(dm.val_dataloader()), 3))  # windows 0.., 1.., 2.. of one video
    assert all(b.num_clips == batch_size for b in batches)
    torch.manual_seed(0)
    plain = build_module(cfg_plain)
    torch.manual_seed(0)
    cached = build_module(cfg_cache)
    cache = cached.model.feature_cache
    assert isinstance(cache, FeatureCache) and plain.model.feature_cache is None
    for batch in batches + batches[:1]:  # the first batch fills the cache, the others read shifted frames
        losses = []
        for module in (plain, cached):
            module.model.zero_grad()
            loss = module.loss(module(batch, prompt_kind="mask"), batch.masks)["core_loss"]
            loss.backward()
            losses.append(loss.detach())
        torch.testing.assert_close(losses[0], losses[1], rtol=1e-5, atol=1e-6)
        g_plain, g_cached = _grads(plain), _grads(cached)
        assert g_plain.keys() == g_cached.keys() and any(k.startswith("memory_attention") for k in g_plain)
        for k in g_plain:
            torch.testing.assert_close(g_plain[k], g_cached[k], rtol=1e-4, atol=1e-6, msg=k)
    frames = {(v, int(o)) for b in batches for i, v in enumerate(b.video_ids) for o in b.frame_orders[:, i]}
    seen = sum(b.num_frames * b.num_clips for b in batches + batches[:1])
    assert len(cache) == len(frames) < seen and cache.misses == len(frames) and cache.hits == seen - len(frames)


def test_train_with_cache_reuses_features_across_epochs(make_cfg):
    cfg = make_cfg(*CACHE, "trainer.max_epochs=2", "trainer.limit_train_batches=2", "trainer.limit_val_batches=1",
                   "evaluate_after_training=false", "data.clip_stride=4")
    result = train(cfg)
    assert result["global_step"] == 4 and "val/jf" in result["final"]
    stats = result["feature_cache"]  # epoch 2 reads epoch 1's frames (same clips: the sampler is seeded per epoch)
    assert stats["hits"] > 0 and stats["misses"] == stats["frames"] and stats["misses"] < 4 * 4 + 4 * 2


def test_incompatible_settings_are_config_errors(make_cfg):
    with pytest.raises(ConfigError, match="frozen image encoder .*trainable_modules"):
        build_module(make_cfg(*CACHE, "model.trainable_modules=[all]"))
    with pytest.raises(ConfigError, match="drop_path_rate=0"):
        build_module(make_cfg(*CACHE, "model.hiera.drop_path_rate=0.1"))
    with pytest.raises(ConfigError, match="data.augment=null"):
        train(make_cfg("model.feature_cache.enabled=true", "trainer.max_epochs=1"))
    assert not (Path(make_cfg().output_dir) / "config.yaml").exists()  # refused before writing anything
    with pytest.raises(ConfigError, match="dtype"):
        FeatureCache(dtype="int8")


def test_lru_bound_and_half_precision_storage():
    enc_calls = []

    def encoder(x):
        enc_calls.append(x.shape[0])
        feats = [x * 2, x[..., ::2, ::2] + 1]
        return {"backbone_fpn": feats, "vision_pos_enc": [torch.zeros_like(f) for f in feats], "vision_features": feats[-1]}

    cache = FeatureCache(max_frames=3, dtype="float16")
    imgs = torch.arange(4 * 2 * 4 * 4, dtype=torch.float32).reshape(4, 2, 4, 4) / 100
    out = cache.encode(encoder, imgs, ["a", "b", "c", "d"])  # 4 > max_frames: the batch itself is kept
    torch.testing.assert_close(out["backbone_fpn"][0], imgs * 2, rtol=1e-3, atol=1e-3)
    assert out["backbone_fpn"][1].shape == (4, 2, 2, 2) and out["vision_pos_enc"][0].shape == (4, 2, 4, 4)
    assert len(cache) == 4 and cache._frames["a"][0].dtype == torch.float16
    cache.encode(encoder, imgs[:1], ["e"])  # evicts the least recently used (a, b)
    assert list(cache._frames) == ["c", "d", "e"] and enc_calls == [4, 1]
    cache.encode(encoder, imgs[2:4], ["c", "d"])
    assert enc_calls == [4, 1] and cache.hits == 2
