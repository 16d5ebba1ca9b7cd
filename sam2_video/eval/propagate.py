"""Streaming full-video propagation with SAM2's memory, batched over objects.

Same computation as Meta's ``SAM2VideoPredictor`` (add prompts, then ``propagate_in_video``;
its post-processing off), re-organised for evaluation:

- frames are loaded lazily, one at a time (on GPU decoded one frame ahead in a background thread,
  overlapping decoding with the model); image features are computed once per frame and shared
  (expanded, not copied) by every object;
- objects whose first prompt is on the same frame form one group and run as one batch;
- only the memory SAM2 can still read is kept: the conditioning (prompted) frames and the last
  ``max(num_maskmem * memory_temporal_stride_for_eval, max_obj_ptrs_in_encoder)`` outputs, so
  memory is flat in video length;
- an object's predictions start at its first prompt frame (Meta's ``vos_inference`` semantics for
  objects appearing later); later prompts (re-prompting) act as new conditioning frames from the
  moment the stream reaches them (online: never used before their frame).

Prompted frames are handled like ``add_new_points_or_box`` / ``add_new_mask`` on a not yet
tracked frame (SAM on that frame alone, no memory), and their memory is encoded from the
upsampled low-res prediction with ``is_mask_from_pts=True`` as in ``propagate_in_video_preflight``.
Memory features are stored in ``memory_dtype`` (bfloat16, like Meta).
"""

from __future__ import annotations

import contextlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Iterator, Mapping, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from sam2.modeling.sam2_base import SAM2Base

from sam2_video.eval.geometry import FrameGeometry
from sam2_video.eval.prompting import FramePrompt

PromptSource = Callable[[int], Mapping[int, FramePrompt]]


@dataclass
class FrameOutput:
    """Predictions of one frame for the objects tracked so far (in ``object_ids`` order)."""

    frame: int
    object_ids: list[int]
    low_res_logits: Optional[torch.Tensor]  # (O, 1, S/4, S/4) float32 logits; None if O == 0
    prompted: set[int] = field(default_factory=set)  # objects that received a prompt on this frame


@dataclass
class _Group:
    object_ids: list[int]
    start: int
    memory: dict = field(default_factory=lambda: {"cond_frame_outputs": {}, "non_cond_frame_outputs": {}})


class StreamingPropagator:
    """Propagate prompts through a whole video (see module doc). Puts ``model`` in eval mode."""

    def __init__(self, model: SAM2Base, memory_dtype: Optional[torch.dtype] = torch.bfloat16,
                 autocast_dtype: Optional[torch.dtype] = None, prefetch: Optional[int] = None) -> None:
        self.model = model.eval()
        self.device = next(model.parameters()).device
        # frames decoded ahead in a background thread; default: 1 on GPU (decode overlaps the model),
        # 0 on CPU (decode would only compete with the model for the same cores)
        self.prefetch = int(prefetch) if prefetch is not None else int(self.device.type != "cpu")
        self.memory_dtype = memory_dtype
        self.autocast_dtype = autocast_dtype
        self.image_size = int(model.image_size)
        stride = int(getattr(model, "memory_temporal_stride_for_eval", 1))
        ptrs = int(model.max_obj_ptrs_in_encoder) if model.use_obj_ptrs_in_encoder else 1
        self.horizon = max(int(model.num_maskmem) * stride, ptrs)
        self._pos_enc: Optional[list[torch.Tensor]] = None
        self._groups: dict[int, _Group] = {}

    def memory_sizes(self) -> dict[int, tuple[int, int]]:
        """Group start frame -> (conditioning, non-conditioning) outputs held in memory now."""
        return {s: (len(g.memory["cond_frame_outputs"]), len(g.memory["non_cond_frame_outputs"]))
                for s, g in self._groups.items()}

    def _autocast(self):
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.autocast_dtype)

    # ---- prompt encoding (as Meta's add_new_points_or_box / add_new_mask) ----
    def _point_inputs(self, prompts: list[FramePrompt], geo: FrameGeometry) -> dict[str, torch.Tensor]:
        coords, labels = [], []
        for p in prompts:
            pts = np.zeros((0, 2), np.float32) if p.points is None else p.points.astype(np.float32)
            lab = np.zeros((0,), np.int32) if p.labels is None else p.labels.astype(np.int32)
            if p.kind == "box":  # a box is two points with labels 2 / 3, before any clicks
                pts = np.concatenate([p.box.reshape(2, 2).astype(np.float32), pts])
                lab = np.concatenate([np.array([2, 3], np.int32), lab])
            coords.append(geo.points(pts))
            labels.append(torch.from_numpy(lab))
        return {"point_coords": torch.stack(coords).to(self.device),  # (B, P, 2) model pixels
                "point_labels": torch.stack(labels).to(self.device)}  # (B, P) int32

    def _mask_inputs(self, prompts: list[FramePrompt], geo: FrameGeometry) -> torch.Tensor:
        return torch.cat([geo.mask(p.mask) for p in prompts]).to(self.device)  # (B, 1, S, S)

    # ---- model steps ----
    def _features(self, backbone_out: dict, batch: int):
        expanded = {
            "backbone_fpn": [x.expand(batch, -1, -1, -1) for x in backbone_out["backbone_fpn"]],
            "vision_pos_enc": [x.expand(batch, -1, -1, -1) for x in backbone_out["vision_pos_enc"]],
        }
        _, feats, pos, sizes = self.model._prepare_backbone_features(expanded)
        return feats, pos, sizes

    def _encode_memory(self, feats, sizes, high_res: torch.Tensor, scores: torch.Tensor, from_pts: bool) -> dict:
        mem, pos = self.model._encode_new_memory(feats, sizes, high_res, scores, is_mask_from_pts=from_pts)
        if self._pos_enc is None:
            self._pos_enc = [x[0:1].clone() for x in pos]
        if self.memory_dtype is not None:
            mem = mem.to(self.memory_dtype)
        return {"maskmem_features": mem, "maskmem_pos_enc": [x.expand(mem.shape[0], -1, -1, -1) for x in self._pos_enc]}

    def _prompted_step(self, t: int, group: _Group, prompts: Mapping[int, FramePrompt], backbone_out: dict,
                       geo: FrameGeometry, num_frames: int) -> torch.Tensor:
        """Conditioning frame: SAM on this frame alone, per prompt signature, then encode memory."""
        m = self.model
        order = group.object_ids
        buckets: dict[tuple, list[int]] = {}
        for i, oid in enumerate(order):
            buckets.setdefault(prompts[oid].signature, []).append(i)
        low = [None] * len(order)
        ptr = [None] * len(order)
        score = [None] * len(order)
        for sig, idx in buckets.items():
            ps = [prompts[order[i]] for i in idx]
            feats, pos, sizes = self._features(backbone_out, len(idx))
            point_inputs = self._point_inputs(ps, geo) if sig[0] != "mask" else None
            mask_inputs = self._mask_inputs(ps, geo) if sig[0] == "mask" else None
            _, sam_out, _, _ = m._track_step(t, True, feats, pos, sizes, point_inputs, mask_inputs,
                                             group.memory, num_frames, False, None)
            _, _, _, low_res, _, obj_ptr, obj_score = sam_out
            for j, i in enumerate(idx):
                low[i], ptr[i], score[i] = low_res[j : j + 1], obj_ptr[j : j + 1], obj_score[j : j + 1]
        low_res = torch.cat(low).float()
        scores = torch.cat(score)
        feats, _, sizes = self._features(backbone_out, len(order))
        high_res = F.interpolate(low_res, size=(self.image_size,) * 2, mode="bilinear", align_corners=False)
        out = self._encode_memory(feats, sizes, high_res, scores, from_pts=True)
        out.update(obj_ptr=torch.cat(ptr), object_score_logits=scores)
        group.memory["cond_frame_outputs"][t] = out
        group.memory["non_cond_frame_outputs"].pop(t, None)
        return low_res

    def _tracking_step(self, t: int, group: _Group, backbone_out: dict, num_frames: int) -> torch.Tensor:
        m = self.model
        feats, pos, sizes = self._features(backbone_out, len(group.object_ids))
        _, sam_out, _, _ = m._track_step(t, False, feats, pos, sizes, None, None, group.memory, num_frames, False, None)
        _, _, _, low_res, high_res, obj_ptr, obj_score = sam_out
        out = self._encode_memory(feats, sizes, high_res, obj_score, from_pts=False)
        out.update(obj_ptr=obj_ptr, object_score_logits=obj_score)
        non_cond = group.memory["non_cond_frame_outputs"]
        non_cond[t] = out
        non_cond.pop(t - self.horizon, None)  # older outputs are never read again
        return low_res.float()

    @torch.inference_mode()
    def propagate(self, num_frames: int, load_frame: Callable[[int], np.ndarray],
                  schedule: Mapping[int, Sequence[int]], prompts_at: PromptSource,
                  geo: FrameGeometry) -> Iterator[FrameOutput]:
        """Yield a :class:`FrameOutput` for every frame 0..T-1.

        ``schedule``: frame -> object ids prompted there; an object's first prompt frame starts
        its track, and objects starting together form a group that must be prompted together.
        ``prompts_at(t)`` builds the prompts of frame t (called only for scheduled frames);
        ``load_frame(t)`` returns (H, W, 3) uint8 RGB, once per frame, from the first prompt on;
        it runs in a background thread, ``self.prefetch`` frames ahead of the model.
        """
        groups: dict[int, _Group] = {}
        seen: set[int] = set()
        for t in sorted(schedule):
            new = [o for o in schedule[t] if o not in seen]
            if new:
                groups[t] = _Group(object_ids=new, start=t)
                seen.update(new)
        self._pos_enc = None
        self._groups = groups
        first = min(groups) if groups else num_frames
        read = lambda t: geo.image(load_frame(t))  # noqa: E731  (3, S, S) float32
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="frame-prefetch") as pool:
            pending: dict[int, Future] = {}
            for t in range(num_frames):
                if t < first:
                    yield FrameOutput(t, [], None)
                    continue
                if self.prefetch:  # decode the next frame(s) while the model runs on this one
                    for k in range(t, min(t + self.prefetch + 1, num_frames)):
                        if k not in pending:
                            pending[k] = pool.submit(read, k)
                    image = pending.pop(t).result()
                else:
                    image = read(t)
                yield self._step(t, groups, image.to(self.device)[None], schedule, prompts_at, geo, num_frames)

    def _step(self, t: int, groups: dict[int, _Group], image: torch.Tensor, schedule, prompts_at: PromptSource,
              geo: FrameGeometry, num_frames: int) -> FrameOutput:
        """Run every active group on frame ``t`` (image features computed once)."""
        active = [g for s, g in sorted(groups.items()) if s <= t]
        frame_prompts = prompts_at(t) if t in schedule else {}
        lows, ids = [], []
        with self._autocast():
            backbone_out = self.model.forward_image(image)
            for g in active:
                hit = [o for o in g.object_ids if o in frame_prompts]
                if hit and len(hit) != len(g.object_ids):
                    missing = sorted(set(g.object_ids) - set(hit))
                    raise ValueError(f"frame {t}: prompts for {hit} but not for {missing} of the same group")
                if hit:
                    lows.append(self._prompted_step(t, g, frame_prompts, backbone_out, geo, num_frames))
                else:
                    lows.append(self._tracking_step(t, g, backbone_out, num_frames))
                ids.extend(g.object_ids)
        return FrameOutput(t, ids, torch.cat(lows).float(), set(frame_prompts))


def static_prompts(prompts: Mapping[int, Mapping[int, FramePrompt]]) -> tuple[dict[int, list[int]], PromptSource]:
    """(schedule, prompts_at) for prompts known up front: frame -> {object id: prompt}."""
    return {t: list(p) for t, p in prompts.items()}, lambda t: prompts[t]
