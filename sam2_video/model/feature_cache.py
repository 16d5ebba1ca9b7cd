"""Cache of frozen image-encoder outputs, keyed by frame, for memory-module training.

When the image encoder is frozen and a frame is the same tensor every time it is seen (no
augmentation), its Hiera + FPN features are a pure function of the frame: compute them once and
reuse them in later epochs (and in validation). The SAM heads' ``conv_s0`` / ``conv_s1``
projections are applied afterwards as usual, so they may still train. Reuse would change the
training with a trainable or stochastic encoder (refused by `check_compatible`) or with augmented
frames (refused by ``train.validate_config``).

Memory per cached frame: ``sum_l C_l * H_l * W_l`` values of ``dtype``, e.g. 0.34 MB at 128 px for
the debug model in float32, 11 MB for sam2.1_tiny at 512 px in float16; bound it with ``max_frames``.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Hashable, Optional, Sequence

import torch
from loguru import logger
from torch import nn

from sam2_video.errors import ConfigError

_DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


class FeatureCache:
    """Image-encoder outputs per frame key (e.g. ``(video_id, order_in_video)``).

    ``max_frames``: keep at most this many frames (least recently used evicted; None = unbounded).
    ``dtype``: storage dtype; ``float32`` reproduces the uncached run exactly, ``float16`` halves memory.
    ``device``: where features are kept (None = where they were computed; ``cpu`` saves GPU memory).
    """

    def __init__(self, max_frames: Optional[int] = None, dtype: str = "float32", device: Optional[str] = None) -> None:
        if dtype not in _DTYPES:
            raise ConfigError(f"model.feature_cache.dtype={dtype!r}: use one of {sorted(_DTYPES)}")
        if max_frames is not None and int(max_frames) < 1:
            raise ConfigError(f"model.feature_cache.max_frames={max_frames}: a positive number or null")
        self.max_frames = None if max_frames is None else int(max_frames)
        self.dtype = _DTYPES[dtype]
        self.device = torch.device(device) if device else None
        self._frames: OrderedDict[Hashable, list[torch.Tensor]] = OrderedDict()  # key -> per level (C, H, W)
        self._pos: Optional[list[torch.Tensor]] = None  # per level (1, C, H, W): the same for every frame
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._frames)

    def clear(self) -> None:
        """Forget every cached frame."""
        self._frames.clear()
        self._pos = None

    @staticmethod
    def check_compatible(image_encoder: nn.Module) -> None:
        """ConfigError unless the image encoder is frozen and deterministic."""
        trainable = sum(p.numel() for p in image_encoder.parameters() if p.requires_grad)
        if trainable:
            raise ConfigError(
                f"model.feature_cache needs a frozen image encoder ({trainable:,} trainable parameters): "
                "remove image_encoder / all from model.trainable_modules or set model.feature_cache.enabled=false"
            )
        stochastic = [n for n, m in image_encoder.named_modules()
                      if getattr(m, "drop_prob", 0.0) or (isinstance(m, nn.Dropout) and m.p > 0)]
        if stochastic:
            raise ConfigError(
                f"model.feature_cache needs a deterministic image encoder ({stochastic[0]} drops activations): "
                "set model.hiera.drop_path_rate=0 or model.feature_cache.enabled=false"
            )

    def encode(self, image_encoder: nn.Module, images: torch.Tensor, keys: Sequence[Hashable]) -> dict:
        """``image_encoder(images)`` for frames ``keys`` (one per image), computing only uncached ones.

        Returns the encoder's dict: ``backbone_fpn`` / ``vision_pos_enc`` lists of (N, C, H, W) and
        ``vision_features`` (the last level).
        """
        if len(keys) != images.shape[0]:
            raise ValueError(f"{len(keys)} frame keys for {images.shape[0]} images")
        first: dict[Hashable, int] = {}
        for i, k in enumerate(keys):
            first.setdefault(k, i)
        missing = [i for k, i in first.items() if k not in self._frames]  # each new frame encoded once
        self.hits += len(keys) - len(missing)
        self.misses += len(missing)
        if missing:
            with torch.no_grad():
                out = image_encoder(images[missing])
            if self._pos is None:
                self._pos = [self._store(p[:1]) for p in out["vision_pos_enc"]]
            for j, i in enumerate(missing):
                self._frames[keys[i]] = [self._store(f[j]) for f in out["backbone_fpn"]]
        for k in keys:
            self._frames.move_to_end(k)
        feats = [torch.stack([self._frames[k][lvl] for k in keys]).to(images.device, images.dtype)
                 for lvl in range(len(self._pos))]
        pos = [p.to(images.device, images.dtype).expand(len(keys), -1, -1, -1) for p in self._pos]
        self._evict(protect=len(keys))
        return {"vision_features": feats[-1], "vision_pos_enc": pos, "backbone_fpn": feats}

    def _store(self, t: torch.Tensor) -> torch.Tensor:
        return t.detach().to(device=self.device or t.device, dtype=self.dtype).clone()

    def _evict(self, protect: int) -> None:
        if self.max_frames is None:
            return
        limit = max(self.max_frames, protect)
        while len(self._frames) > limit:
            self._frames.popitem(last=False)

    def stats(self) -> dict[str, float]:
        """Cached frames, hits, misses and hit rate so far (also logged)."""
        total = self.hits + self.misses
        out = {"frames": len(self), "hits": self.hits, "misses": self.misses,
               "hit_rate": round(self.hits / total, 4) if total else 0.0}
        logger.info(f"feature cache: {out['frames']} frames, hit rate {out['hit_rate']:.1%} "
                    f"({self.hits} hits, {self.misses} misses)")
        return out
