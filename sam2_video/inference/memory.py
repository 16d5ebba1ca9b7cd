"""What a tracking session keeps of SAM2's memory, and when it writes it.

SAM2 reads, for frame ``t``: every conditioning entry (prompted frames; at most
``max_cond_frames_in_attn`` of them, closest first) and the non-conditioning entries of frames
``t - 1 .. t - (num_maskmem - 1)`` (times ``memory_temporal_stride_for_eval``), plus object pointers of
up to ``max_obj_ptrs_in_encoder`` earlier frames. Entries older than that are never read again.

:class:`MemoryPolicy` (all defaults = Meta's ``SAM2VideoPredictor``):

- ``write_every`` K: a tracked frame writes its memory when ``(t - start) % K == 0`` (prompted
  frames always write, as conditioning entries). K > 1 skips the memory encoder on the other
  frames; SAM2 then finds fewer of ``t - 1 .. t - 6`` and reads fewer memories (upstream behaviour
  for missing entries) unless ``compact``.
- ``compact``: the reader sees the last written entries as if they were consecutive frames
  (slots = "writes ago", DAM4SAM's recent-memory semantics), so K > 1 still fills every slot.
- ``max_entries``: at most this many non-conditioning entries are kept (FIFO); ``None`` keeps what
  SAM2 can still read. Fewer entries = fewer memories read (a "memory size" knob).
- ``max_cond_entries``: at most this many conditioning entries are kept: the first prompt and the
  most recent ones (``None``: all, as Meta). Bounds memory when re-prompting every frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from sam2_video.errors import ConfigError


@dataclass(frozen=True)
class MemoryPolicy:
    write_every: int = 1
    max_entries: Optional[int] = None
    max_cond_entries: Optional[int] = None
    compact: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.write_every, bool) or not isinstance(self.write_every, int) or self.write_every < 1:
            raise ConfigError(f"memory policy write_every={self.write_every!r}: must be an integer >= 1 "
                              "(1 writes every frame, as Meta's predictor)")
        for key in ("max_entries", "max_cond_entries"):
            v = getattr(self, key)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
                raise ConfigError(f"memory policy {key}={v!r}: must be null or an integer >= 1")

    def writes(self, t: int, start: int) -> bool:
        """Whether a tracked (not prompted) frame ``t`` of a track started at ``start`` writes memory."""
        return (t - start) % self.write_every == 0


@dataclass
class MemoryBank:
    """SAM2's ``output_dict`` of one object group, pruned by a :class:`MemoryPolicy`.

    Entries are SAM2's per-frame output dicts (``maskmem_features`` (B, C, h, w), ``maskmem_pos_enc``,
    ``obj_ptr`` (B, 256), ``object_score_logits`` (B, 1)) keyed by frame index.
    """

    policy: MemoryPolicy
    horizon: int  # frames back SAM2 can still read (memory and object pointers)
    cond: dict[int, dict] = field(default_factory=dict)
    non_cond: dict[int, dict] = field(default_factory=dict)

    def put(self, t: int, entry: dict, conditioning: bool) -> None:
        if conditioning:
            self.cond[t] = entry
            self.non_cond.pop(t, None)
            cap = self.policy.max_cond_entries
            if cap is not None and len(self.cond) > cap:
                keys = sorted(self.cond)
                for k in keys[1 : len(keys) - cap + 1]:  # keep the first prompt and the newest ones
                    del self.cond[k]
        else:
            self.non_cond[t] = entry
        self.prune(t)

    def prune(self, t: int) -> None:
        """Drop non-conditioning entries SAM2 will never read again (or over the cap)."""
        if self.policy.compact or self.policy.max_entries is not None:
            keep = self.policy.max_entries or self.horizon
            for k in sorted(self.non_cond)[:-keep]:
                del self.non_cond[k]
        else:
            for k in [k for k in self.non_cond if k <= t - self.horizon]:
                del self.non_cond[k]

    def view(self, t: int) -> dict:
        """The ``output_dict`` SAM2 reads when tracking frame ``t``."""
        non_cond = self.non_cond
        if self.policy.compact:
            recent = [self.non_cond[k] for k in sorted(k for k in self.non_cond if k < t)]
            non_cond = {t - i: e for i, e in enumerate(reversed(recent), start=1)}
        return {"cond_frame_outputs": self.cond, "non_cond_frame_outputs": non_cond}

    def sizes(self) -> tuple[int, int]:
        """(conditioning, non-conditioning) entries held now."""
        return len(self.cond), len(self.non_cond)
