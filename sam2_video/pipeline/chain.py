"""THE frame loop of every path (evaluation, predict.py, the stream): one frame in, one set of masks out.

Per frame ``t``::

    decode -> planner's prompts -> SAM2 (image encoder, ``encode_batch`` frames at a time, + one tracking
           step) -> refiner (optional) -> EMA on logits (optional) -> threshold(s) (+ one object per pixel)
           -> hole fill / opening (optional) -> masks, confidence, QA flags
           -> SAM2 memory write every K frames, from SAM2's own mask (raw) or the final one (refined)

:meth:`Chain.frames` is a generator of :class:`PipelineFrame` (``sam2_video.pipeline.run`` scores them
and hands them to the sinks); nothing is kept between calls: per-video state lives in the generator. Frames that fail to decode come out with ``error`` set and no masks;
prompts due on such a frame are applied on the next good one. With K = 1 and no refiner, EMA,
post-processing or re-prompting, the masks equal the full-video evaluation's (tested).
"""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Mapping, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from sam2_video.data.resize import geometry as resize_geometry
from sam2_video.metrics.scoring import ThresholdScorer
from sam2_video.inference.geometry import FrameGeometry
from sam2_video.inference.memory import MemoryPolicy
from sam2_video.inference.session import TrackingSession
from sam2_video.prompt import FramePrompt
from sam2_video.pipeline.last_seen import LastSeen, auto_prompts, remember
from sam2_video.pipeline.stages.postprocess import postprocess
from sam2_video.pipeline.stages.qa import QAFlags, qa_flags
from sam2_video.pipeline.stages.refiner import Refiner
from sam2_video.pipeline.reprompt import looks_of, reprompt_lost
from sam2_video.pipeline.settings import StreamSettings
from sam2_video.pipeline.stages.ema import ema_update
from sam2_video.pipeline.source import SourceFrame

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
class PipelineFrame:
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
    levels: Optional[np.ndarray] = None  # (O, H, W) uint8: object i is predicted at threshold k where levels[i] > k
    low_res: Optional[torch.Tensor] = None  # (O, 1, S/4, S/4) float32 SAM2 logits (before any stage)
    given: dict[int, FramePrompt] = field(default_factory=dict)  # the planner's prompts applied on this frame


Prompts = Callable[[int], Mapping[int, FramePrompt]]  # t -> {object id: prompt} (a planner's video prompts)


class Chain:
    """One model with one set of chain settings (``stream`` node: memory cadence, re-prompting, stages).

    ``refiner``: the refiner stage (``sam2_video.pipeline.stages.refiner``) or None; ``thresholds``: the
    probabilities of ``PipelineFrame.levels`` (default ``[settings.threshold]``; masks use the first);
    ``encode_batch``: frames per image-encoder call (1 for a live stream: no frame waits for the next);
    ``encode_thread``: with ``encode_batch`` > 1, the next batch is read and encoded on a worker thread while
    this one is tracked (a second core; the same features, so the same masks).
    """

    def __init__(self, model: torch.nn.Module, settings: StreamSettings, refiner: Optional[Refiner] = None,
                 memory_dtype: Optional[torch.dtype] = torch.bfloat16, autocast_dtype: Optional[torch.dtype] = None,
                 geometry: str = "meta", resize_mode: str = "square", thresholds: Optional[Sequence[float]] = None,
                 encode_batch: int = 1, qa: bool = True, encode_thread: bool = False) -> None:
        self.model, self.settings, self.refiner = model.eval(), settings, refiner
        self.memory_dtype, self.autocast_dtype = memory_dtype, autocast_dtype
        self.geometry_mode, self.resize_mode = geometry, resize_mode
        self.policy = MemoryPolicy(write_every=settings.memory_every, max_entries=settings.max_memory,
                                   max_cond_entries=settings.max_cond_memory, compact=settings.compact_memory)
        self.thresholds = sorted(float(t) for t in (thresholds or [settings.threshold]))
        self.scorer = ThresholdScorer(self.thresholds, settings.non_overlap)
        if int(encode_batch) < 1:
            raise ValueError(f"encode_batch must be >= 1, got {encode_batch}")
        self.encode_batch, self.qa = int(encode_batch), bool(qa)  # qa: the QA stage (flags; off: not computed)
        self.encode_thread = bool(encode_thread) and self.encode_batch > 1

    def frames(self, source: Iterable[SourceFrame], prompts_of: Prompts,
               num_frames: Optional[int] = None) -> Iterator[PipelineFrame]:
        """The results of ``source``'s frames (see module doc). ``prompts_of(t)``: the planner's prompts of
        frame t; a planner with ``observe(frame)`` sees every result (e.g. re-prompting after a collapse)."""
        worker = ThreadPoolExecutor(1, "encode-ahead") if self.encode_thread else None
        try:
            yield from self._frames(source, prompts_of, num_frames, worker)
        finally:
            if worker is not None:
                worker.shutdown(wait=True, cancel_futures=True)

    def _frames(self, source: Iterable[SourceFrame], prompts_of: Prompts, num_frames: Optional[int],
                worker: Optional[ThreadPoolExecutor]) -> Iterator[PipelineFrame]:
        s = self.settings
        observe = getattr(prompts_of, "observe", None)
        session: Optional[TrackingSession] = None
        groups: list[list[int]] = []  # objects first prompted together (SAM2 batches them)
        pending: dict[int, FramePrompt] = {}  # prompts due on a frame that failed to decode
        smoothed: dict[int, torch.Tensor] = {}
        last_seen: dict[int, LastSeen] = {}
        previous: dict[int, np.ndarray] = {}
        encoded: dict[int, object] = {}
        first_seed: Optional[int] = None
        confirm = s.autoprompt_mode == "confirm"
        frames = iter(source)
        ahead: list[SourceFrame] = []
        job: Optional[Future] = None  # the next batch, read and encoded by ``worker`` (it owns ``frames`` meanwhile)
        while True:
            if job is not None and not ahead:
                ahead, enc = job.result()
                encoded.update(enc)
                job = worker.submit(self._read_encode, frames, session, s.max_frames) \
                    if len(ahead) == self.encode_batch else None
            src = ahead.pop(0) if ahead else next(frames, None)
            if src is None or (s.max_frames is not None and src.index >= s.max_frames):
                return
            pending.update(prompts_of(src.index))
            if src.image is None:
                yield PipelineFrame(src.index, src.name, None, ms={"decode": src.decode_ms}, error=src.error)
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
                yield PipelineFrame(t, src.name, image, ms={**ms, "total": src.decode_ms})
                continue

            t0 = time.perf_counter()
            if t not in encoded:  # the image encoder reads no mask or memory: frames ahead are encoded together
                ahead += self._read(frames, self.encode_batch - 1 - len(ahead))
                encoded = self._encode(session, [src] + ahead, s.max_frames)
                if worker is not None and len(ahead) == self.encode_batch - 1:
                    job = worker.submit(self._read_encode, frames, session, s.max_frames)
            feats = encoded.pop(t)
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
                logits = self.refiner(image, logits, ids, getattr(prompts_of, "categories", None))
            ms["refiner"] = (time.perf_counter() - t0) * 1e3

            t0 = time.perf_counter()
            if s.ema_alpha > 0:
                smoothed = ema_update(smoothed, logits, ids, s.ema_alpha, restart=set(seeded) | confirmed)
                logits = torch.stack([smoothed[o] for o in ids])
            levels = self.scorer.quantize(logits)  # (O, H, W) uint8
            masks = postprocess(levels > 0, s.fill_holes, s.open_radius)  # (O, H, W) bool
            if len(self.thresholds) == 1:
                levels = masks.astype(np.uint8)
            qa = [qa_flags(logits[i], masks[i], previous.get(o), s.low_confidence, s.max_change)
                  for i, o in enumerate(ids)] if self.qa else []
            previous = {o: masks[i] for i, o in enumerate(ids)} if self.qa else {}
            if s.autoprompt_every:  # the last good masks re-prompting starts from
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
            frame = PipelineFrame(t, src.name, image, ids, logits, masks,
                                  out.object_score_logits[torch.from_numpy(order)][:, 0].cpu().numpy(), qa,
                                  set(seeded), set(auto) | confirmed, wrote, ms, levels=levels, low_res=low.float(),
                                  given=dict(seeded))
            if observe is not None:
                observe(frame)
            yield frame

    @staticmethod
    def _read(frames: Iterator[SourceFrame], n: int) -> list[SourceFrame]:
        return [f for f in (next(frames, None) for _ in range(n)) if f is not None]

    @staticmethod
    def _encode(session: TrackingSession, batch: list[SourceFrame], max_frames: Optional[int]) -> dict[int, object]:
        """Frame index -> image features of the frames of ``batch`` that decoded (one encoder call)."""
        good = [f for f in batch if f.image is not None and (max_frames is None or f.index < max_frames)]
        return dict(zip([f.index for f in good], session.encode_many([f.index for f in good],
                                                                     [f.image for f in good]) if good else []))

    def _read_encode(self, frames: Iterator[SourceFrame], session: TrackingSession, max_frames: Optional[int]):
        """The next ``encode_batch`` frames and their features (run by the worker thread)."""
        got = self._read(frames, self.encode_batch)
        return got, self._encode(session, got, max_frames)
