"""Learned prompt encoders (AutoSAM's idea for SAM2): image content -> SAM2 prompt embeddings.

Both encoders are class-aware: one object per category, so they take the category index of every
batch row and return that category's prompt. Outputs (:class:`LearnedPrompt`):

- ``dense``  (B, C, S/16, S/16): replaces or is added to SAM2's ``no_mask_embed`` (``mode``);
- ``sparse`` (B, N, C) or None: extra tokens appended to SAM2's (dummy-point) sparse tokens.

C is SAM2's ``sam_prompt_embed_dim`` (256 for the real models, 64 for ``sam2=debug``).

Inputs, chosen by ``model.auto_prompt.encoder``:

- :class:`FeaturePromptEncoder` (default): SAM2's own image-encoder features of the frame, exactly
  what ``_forward_sam_heads`` receives (no second backbone; works with ``model.feature_cache``);
- :class:`ImagePromptEncoder`: the image through a small CNN of its own (AutoSAM's design; the
  features are computed in ``forward_image`` and carried in ``backbone_out``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from sam2_video.errors import ConfigError

REPLACE, ADD = "replace", "add"


@dataclass
class LearnedPrompt:
    """The learned prompt of B objects (one row per object)."""

    dense: torch.Tensor  # (B, C, h, w) dense prompt embedding at the image-embedding grid
    sparse: Optional[torch.Tensor]  # (B, N, C) extra sparse tokens, or None


class _ClassAwareHead(nn.Module):
    """Shared trunk features (B, hidden, h, w) + category -> LearnedPrompt (FiLM by category)."""

    def __init__(self, hidden: int, embed_dim: int, num_categories: int, num_sparse_tokens: int) -> None:
        super().__init__()
        self.film = nn.Embedding(num_categories, 2 * hidden)
        nn.init.zeros_(self.film.weight)
        self.mix = nn.Sequential(nn.Conv2d(hidden, hidden, 3, padding=1), nn.GroupNorm(1, hidden), nn.GELU())
        self.dense_out = nn.Conv2d(hidden, embed_dim, 1)
        self.num_sparse_tokens = int(num_sparse_tokens)
        self.sparse_out = nn.Linear(hidden, embed_dim * self.num_sparse_tokens) if self.num_sparse_tokens else None

    def forward(self, trunk: torch.Tensor, category_index: torch.Tensor) -> LearnedPrompt:
        gamma, beta = self.film(category_index)[:, :, None, None].chunk(2, dim=1)  # (B, hidden, 1, 1) each
        x = self.mix(trunk * (1 + gamma) + beta)
        sparse = None
        if self.sparse_out is not None:
            pooled = x.mean(dim=(2, 3))  # (B, hidden)
            sparse = self.sparse_out(pooled).view(x.shape[0], self.num_sparse_tokens, -1)
        return LearnedPrompt(self.dense_out(x), sparse)


class PromptEncoderBase(nn.Module):
    """Common part: the category list (a buffer, so it travels with the weights) and the switch."""

    needs_image = False

    def __init__(self, category_ids: Sequence[int], embed_dim: int, mode: str = REPLACE) -> None:
        super().__init__()
        ids = [int(c) for c in category_ids]
        if not ids or len(set(ids)) != len(ids):
            raise ConfigError(f"model.auto_prompt.category_ids={ids}: give each dataset category id once, e.g. [1, 2, 3]")
        if mode not in (REPLACE, ADD):
            raise ConfigError(f"model.auto_prompt.mode={mode!r}: use '{REPLACE}' (AutoSAM) or '{ADD}' (residual)")
        self.mode = mode
        self.embed_dim = int(embed_dim)
        self.register_buffer("category_ids", torch.tensor(ids, dtype=torch.long), persistent=True)

    @property
    def num_categories(self) -> int:
        return int(self.category_ids.numel())

    def category_index(self, categories: torch.Tensor) -> torch.Tensor:
        """(B,) dataset category ids -> (B,) rows 0..K-1; an unknown id is a ConfigError."""
        match = categories.to(self.category_ids.device)[:, None] == self.category_ids[None, :]  # (B, K)
        if not bool(match.any(dim=1).all()):
            bad = sorted(set(categories.tolist()) - set(self.category_ids.tolist()))
            raise ConfigError(f"category ids {bad} are not among model.auto_prompt.category_ids="
                              f"{self.category_ids.tolist()}; train the prompt encoder with every category of the data")
        return match.float().argmax(dim=1)

    def image_features(self, images: torch.Tensor) -> Optional[torch.Tensor]:
        """Per-image input computed once in ``forward_image`` (None: the encoder reads SAM2's features)."""
        return None


class FeaturePromptEncoder(PromptEncoderBase):
    """Prompt from SAM2's frozen image features (B, C, h, w): two conv blocks + class-aware head."""

    def __init__(self, category_ids: Sequence[int], embed_dim: int, hidden: int = 128,
                 num_sparse_tokens: int = 0, mode: str = REPLACE) -> None:
        super().__init__(category_ids, embed_dim, mode)
        self.trunk = nn.Sequential(
            nn.Conv2d(embed_dim, hidden, 3, padding=1), nn.GroupNorm(1, hidden), nn.GELU(),
            nn.Conv2d(hidden, hidden, 3, padding=1), nn.GroupNorm(1, hidden), nn.GELU())
        self.head = _ClassAwareHead(hidden, embed_dim, self.num_categories, num_sparse_tokens)

    def forward(self, features: torch.Tensor, categories: torch.Tensor,
                image_features: Optional[torch.Tensor] = None) -> LearnedPrompt:
        """``features`` (B, C, h, w) the SAM2 features of the frame; ``categories`` (B,) dataset ids."""
        return self.head(self.trunk(features), self.category_index(categories))


class ImagePromptEncoder(PromptEncoderBase):
    """Prompt from the image through a small CNN of its own (AutoSAM's g(I), much smaller than HarDNet).

    ``input_size``: the image is resized to this square before the CNN (AutoSAM: 352 / 512)."""

    needs_image = True

    def __init__(self, category_ids: Sequence[int], embed_dim: int, hidden: int = 64, input_size: int = 256,
                 num_sparse_tokens: int = 0, mode: str = REPLACE) -> None:
        super().__init__(category_ids, embed_dim, mode)
        self.input_size = int(input_size)
        widths = [16, 32, hidden, hidden]
        layers, cin = [], 3
        for w in widths:  # four stride-2 blocks: /16
            layers += [nn.Conv2d(cin, w, 3, stride=2, padding=1), nn.GroupNorm(1, w), nn.GELU()]
            cin = w
        self.cnn = nn.Sequential(*layers)
        self.head = _ClassAwareHead(hidden, embed_dim, self.num_categories, num_sparse_tokens)

    def image_features(self, images: torch.Tensor) -> torch.Tensor:
        """(B, 3, S, S) SAM2-normalised images -> (B, hidden, input_size/16, input_size/16)."""
        x = F.interpolate(images, size=(self.input_size,) * 2, mode="bilinear", align_corners=False)
        return self.cnn(x)

    def forward(self, features: torch.Tensor, categories: torch.Tensor,
                image_features: Optional[torch.Tensor] = None) -> LearnedPrompt:
        if image_features is None:
            raise ValueError("ImagePromptEncoder needs the image features carried from forward_image")
        trunk = F.interpolate(image_features, size=features.shape[-2:], mode="bilinear", align_corners=False)
        return self.head(trunk, self.category_index(categories))
