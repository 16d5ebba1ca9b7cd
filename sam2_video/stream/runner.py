"""The streaming loop: one frame in, one set of masks out (seed 004's deployment loop).

Per frame ``t``::

    decode -> SAM2 (image encoder + one tracking step; seeded / auto-prompted objects are prompted)
           -> refiner (optional) -> EMA on logits (optional) -> threshold (+ one object per pixel)
           -> hole fill / opening (optional) -> masks, confidence, QA flags
           -> SAM2 memory write every K frames, from SAM2's own mask (raw) or the final one (refined)

:meth:`StreamRunner.frames` is a generator of :class:`StreamFrame` (the caller writes / scores them);
nothing is kept between calls. Frames that fail to decode come out with ``error`` set and no masks;
prompts due on such a frame are applied on the next good one. With K = 1 and no refiner, EMA,
post-processing or re-prompting, the masks equal the full-video evaluation's (tested).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Optional

import numpy as np
import torch
import torch.nn.functional as F

from sam2_video.data.resize import geometry as resize_geometry
from sam2_video.metrics.scoring import ThresholdScorer
from sam2_video.inference.geometry import FrameGeometry
from sam2_video.inference.memory import MemoryPolicy
from sam2_video.inference.session import TrackingSession
from sam2_video.prompt import FramePrompt
from sam2_video.stream.autoprompt import LastSeen, auto_prompts, remember
from sam2_video.stream.postprocess import postprocess
from sam2_video.stream.qa import QAFlags, qa_flags
from sam2_video.stream.refiner import Refiner
from sam2_video.stream.reprompt import looks_of, reprompt_lost
from sam2_video.stream.seeds import Seeder
from sam2_video.stream.settings import StreamSettings
from sam2_video.stream.smoothing import ema_update
from sam2_video.stream.sources import SourceFrame

STAGES = ("decode", "sam2", "refiner", "post", "memory")


def to_model_frame(logits: torch.Tensor, geo: FrameGeometry) -> torch.Tensor:
    """(O, 1, H, W) frame-resolution logits -> the layout of SAM2's input: as they are for a square
    resize (SAM2 stretches them to S x S), or scaled into the letterbox's content area and padded
    right / bottom with "no object" (-32) when the frames are letterboxed (``geometry=data``)."""
    if geo.mode != "data" or geo.resize_mode != "letterbox":
        return logits
    g = resize_geometry((geo.height, geo.width), geo.size, "letterbox")
    inner = F.interpolate(logits.float(), size=(g.new_h, g.new_w), mode="bilinear", align_corners=False)
    return F.pad(inner, (0, geo.size - g.new_w, 0, geo.size - g.new_h), value=-32.0)


@dataclass
class StreamFrame:
    """One frame's result; objects sorted by id (objects not started yet are absent)."""

    index: int
    name: str
    image: Optional[np.ndarray]  # (H, W, 3) uint8 RGB; None when the frame failed to decode
    object_ids: list[int] = field(default_factory=list)
    logits: Optional[torch.Tensor] = None  # (O, H, W) float32 final logits (after refiner / EMA)
    masks: Optional[np.ndarray] = None  # (O, H, W) bool final masks
    object_scores: Optional[np.ndarray] = None  # (O,) SAM2 object-score logits (> 0: present)
    qa: list[QAFlags] = field(default_factory=list)
    prompted: set[int] = field(default_factory=set)  # seeded on this frame
    autoprompted: set[int] = field(default_factory=set)  # re-prompted from the previous mask
    memory_written: bool = False
    ms: dict[str, float] = field(default_factory=dict)  # stage -> ms (STAGES, total; cpu: process CPU ms after decode)
    error: Optional[str] = None


class StreamRunner:
    """Run one model with one :class:`StreamSettings` over frame sources."""

    def __init__(self, model: torch.nn.Module, settings: StreamSettings, refiner: Optional[Refiner] = None,
                 memory_dtype: Optional[torch.dtype] = torch.bfloat16, autocast_dtype: Optional[torch.dtype] = None,
                 geometry: str = "meta", resize_mode: str = "square") -> None:
        self.model, self.settings, self.refiner = model.eval(), settings, refiner
        self.memory_dtype, self.autocast_dtype = memory_dtype, autocast_dtype
        self.geometry_mode, self.resize_mode = geometry, resize_mode
        self.policy = MemoryPolicy(write_every=settings.memory_every, max_entries=settings.max_memory,
                                   max_cond_entries=settings.max_cond_memory, compact=settings.compact_memory)
        self.scorer = ThresholdScorer([settings.threshold], settings.non_overlap)

    def frames(self, source: Iterable[SourceFrame], seeder: Seeder,
               num_frames: Optional[int] = None) -> Iterator[StreamFrame]:
        """Stream the results of ``source``'s frames (see module doc)."""
        s = self.settings
        session: Optional[TrackingSession] = None
        pending: dict[int, FramePrompt] = {}
        groups: list[list[int]] = []  # objects seeded together (one SAM2 group each)
        smoothed: dict[int, torch.Tensor] = {}
        last_seen: dict[int, LastSeen] = {}
        previous: dict[int, np.ndarray] = {}
        first_seed: Optional[int] = None
        confirm = s.autoprompt_mode == "confirm"
        for src in source:
            if s.max_frames is not None and src.index >= s.max_frames:
                return
            pending.update(seeder(src.index))
            if src.image is None:
                yield StreamFrame(src.index, src.name, None, ms={"decode": src.decode_ms}, error=src.error)
                continue
            ms = {"decode": src.decode_ms}
            cpu0 = time.process_time()  # CPU time of the stages after decoding (steadier on a shared machine)
            t, image = src.index, src.image
            if session is None:
                geo = FrameGeometry(image.shape[0], image.shape[1], int(self.model.image_size), self.geometry_mode,
                                    self.resize_mode)
                session = TrackingSession(self.model, geo, self.policy, self.memory_dtype, self.autocast_dtype,
                                          num_frames)
            seeded, pending = pending, {}
            if seeded:
                first_seed = t if first_seed is None else first_seed
                new = [o for o in seeded if o not in {x for g in groups for x in g}]
                if new:
                    groups.append(new)
            auto: dict[int, FramePrompt] = {}
            due = bool(s.autoprompt_every) and first_seed is not None and t > first_seed \
                and (t - first_seed) % s.autoprompt_every == 0
            free = [g for g in groups if not any(o in seeded for o in g)] if due else []
            if free and not confirm:
                auto = auto_prompts(t, last_seen, free, s.autoprompt_hold)
            prompts = {**auto, **seeded}
            if first_seed is None:  # nothing to track yet
                yield StreamFrame(t, src.name, image, ms={**ms, "total": src.decode_ms})
                continue

            t0 = time.perf_counter()
            feats = session.encode(t, image)
            out = session.step(feats, prompts, write_memory=False if not prompts else None)
            confirmed: set[int] = set()
            if free and confirm:
                out, confirmed = reprompt_lost(session, feats, out, last_seen, free, s.autoprompt_hold,
                                               s.autoprompt_max_growth, s.autoprompt_min_similarity)
            ids = out.object_ids
            order = np.argsort(ids)
            low = out.low_res_logits[torch.from_numpy(order)]
            logits = session.geometry.logits(low)  # (O, H, W) frame-resolution logits, ids sorted
            ids = [ids[i] for i in order]
            ms["sam2"] = (time.perf_counter() - t0) * 1e3

            t0 = time.perf_counter()
            if self.refiner is not None:
                img = torch.from_numpy(image).permute(2, 0, 1)[None].float() / 255.0
                logits = self.refiner(img, logits[None].cpu())[0].to(logits.device)
            ms["refiner"] = (time.perf_counter() - t0) * 1e3

            t0 = time.perf_counter()
            if s.ema_alpha > 0:
                smoothed = ema_update(smoothed, logits, ids, s.ema_alpha, restart=set(seeded) | confirmed)
                logits = torch.stack([smoothed[o] for o in ids])
            masks = self.scorer.quantize(logits) > 0  # (O, H, W) bool
            masks = postprocess(masks, s.fill_holes, s.open_radius)
            qa = [qa_flags(logits[i], masks[i], previous.get(o), s.low_confidence, s.max_change)
                  for i, o in enumerate(ids)]
            previous = {o: masks[i] for i, o in enumerate(ids)}
            check = s.autoprompt_min_similarity if confirm else None  # the look check belongs to confirm mode
            looks = looks_of(session, feats, masks, check)
            last_seen = remember(last_seen, t, ids, masks, s.autoprompt_max_growth, looks, check)
            ms["post"] = (time.perf_counter() - t0) * 1e3

            t0 = time.perf_counter()
            wrote = bool(prompts) or bool(confirmed)  # prompted / confirmed: conditioning entries
            last = num_frames is not None and t == num_frames - 1  # nothing would read it
            rest = [o for o in ids if o not in confirmed]
            if not prompts and rest and not last and self.policy.writes(t, first_seed):
                if s.memory_source == "refined":
                    final = torch.where(torch.from_numpy(masks), logits.abs().clamp(min=1.0),
                                        -logits.abs().clamp(min=1.0))  # logits agreeing with the final mask
                    back = torch.from_numpy(np.argsort(order))
                    final = to_model_frame(final[back][:, None], session.geometry)
                    session.write_memory(feats, out, final.to(out.low_res_logits.device), objects=rest)
                else:
                    session.write_memory(feats, out, objects=rest)
                wrote = True
            ms["memory"] = (time.perf_counter() - t0) * 1e3
            ms["total"] = sum(ms[k] for k in STAGES)
            ms["cpu"] = (time.process_time() - cpu0) * 1e3
            yield StreamFrame(t, src.name, image, ids, logits, masks,
                              out.object_score_logits[torch.from_numpy(order)][:, 0].cpu().numpy(), qa,
                              set(seeded), set(auto) | confirmed, wrote, ms)
