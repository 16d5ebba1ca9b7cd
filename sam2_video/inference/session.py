"""A tracking session over one video: the public face of SAM2's memory (the only module, with
:mod:`sam2_video.inference.memory`, that calls ``SAM2Base``'s private methods).

Typical use, one frame at a time::

    session = TrackingSession(model, FrameGeometry(H, W, model.image_size))
    for t, frame in enumerate(frames):                      # (H, W, 3) uint8 RGB
        feats = session.encode(t, frame)                    # image encoder, once per frame
        out = session.step(feats, prompts.get(t, {}))       # {object id: FramePrompt}
        masks = session.geometry.logits(out.low_res_logits) > 0   # (O, H, W)

Objects are created by their first prompt; objects first prompted on the same frame form one group
that runs as one batch (the image features are expanded, not copied). A prompted frame runs SAM on
that frame alone (no memory) and becomes a conditioning memory entry; any other frame is tracked
with memory. Memory is written by :meth:`step` as the :class:`MemoryPolicy` says (every K frames),
or by the caller from any mask logits with :meth:`write_memory` (e.g. a refined mask).

With the default policy the outputs equal Meta's ``SAM2VideoPredictor`` (``add_new_points_or_box``
/ ``add_new_mask`` then ``propagate_in_video``, its post-processing off); tested.
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from sam2.modeling.sam2_base import SAM2Base
from torch.utils import _pytree as pytree

from sam2_video.inference.geometry import FrameGeometry
from sam2_video.inference.memory import MemoryBank, MemoryPolicy
from sam2_video.prompt import FramePrompt


@dataclass(frozen=True)
class FrameFeatures:
    """Image-encoder output of one frame (batch 1), shared by every object."""

    frame: int
    backbone: dict  # SAM2 ``forward_image`` output: backbone_fpn / vision_pos_enc lists of (1, C, h, w)


@dataclass
class StepOutput:
    """Predictions of one frame for the objects tracked so far (``object_ids`` order)."""

    frame: int
    object_ids: list[int]
    low_res_logits: Optional[torch.Tensor]  # (O, 1, S/4, S/4) float32 mask logits; None if O == 0
    object_score_logits: Optional[torch.Tensor]  # (O, 1) float32, > 0: object present
    obj_ptr: Optional[torch.Tensor]  # (O, C) object pointers (for write_memory)
    prompted: set[int] = field(default_factory=set)  # objects prompted on this frame
    memory_written: bool = False  # step() wrote memory for every object
    # (O, 1, S, S) SAM2's own upsampled logits when no object was prompted on this frame or the prompts
    # were tentative (``commit_prompts=False``), else None: the default of write_memory, so that a
    # deferred write equals the one step() would have made
    high_res_logits: Optional[torch.Tensor] = None


@dataclass
class _Group:
    object_ids: list[int]
    start: int
    memory: MemoryBank


class TrackingSession:
    """Track objects through one video (see module doc). Puts ``model`` in eval mode.

    ``num_frames``: the video length when known (SAM2 reads at most that many object pointers);
    ``None`` for a live stream. ``memory_dtype``: storage of memory features (bfloat16 like Meta).
    """

    def __init__(self, model: SAM2Base, geometry: FrameGeometry, policy: MemoryPolicy = MemoryPolicy(),
                 memory_dtype: Optional[torch.dtype] = torch.bfloat16, autocast_dtype: Optional[torch.dtype] = None,
                 num_frames: Optional[int] = None) -> None:
        self.model = model.eval()
        self.geometry = geometry
        self.policy = policy
        self.device = next(model.parameters()).device
        self.memory_dtype = memory_dtype
        self.autocast_dtype = autocast_dtype
        self.num_frames = int(num_frames) if num_frames is not None else sys.maxsize
        self.image_size = int(model.image_size)
        stride = int(getattr(model, "memory_temporal_stride_for_eval", 1))
        ptrs = int(model.max_obj_ptrs_in_encoder) if model.use_obj_ptrs_in_encoder else 1
        self.horizon = max(int(model.num_maskmem) * stride, ptrs)
        self._groups: list[_Group] = []
        self._pos_enc: Optional[list[torch.Tensor]] = None

    # ---- public API ----
    @property
    def object_ids(self) -> list[int]:
        """Tracked objects in output order (groups by first prompt frame, then prompt order)."""
        return [o for g in self._groups for o in g.object_ids]

    def memory_sizes(self) -> dict[int, tuple[int, int]]:
        """Group start frame -> (conditioning, non-conditioning) entries held now."""
        return {g.start: g.memory.sizes() for g in self._groups}

    def encode(self, t: int, image: np.ndarray | torch.Tensor) -> FrameFeatures:
        """Image features of frame ``t``: (H, W, 3) uint8 RGB or an already prepared (3, S, S) tensor."""
        return self.encode_many([t], [image])[0]

    @torch.inference_mode()
    def encode_many(self, frames: Sequence[int], images: Sequence[np.ndarray | torch.Tensor]) -> list[FrameFeatures]:
        """Image features of several frames in one image-encoder call (the encoder reads no mask or
        memory, so frames can be encoded ahead in batches: fewer, larger operator calls; the features
        equal per-frame encoding up to float rounding, bit for bit on CPU in our tests)."""
        x = torch.stack([self.geometry.image(im) if isinstance(im, np.ndarray) else im for im in images])  # (B, 3, S, S)
        with self._autocast():
            out = self.model.forward_image(x.to(self.device))
        if len(frames) == 1:
            return [FrameFeatures(int(frames[0]), out)]
        leaves, spec = pytree.tree_flatten(out)  # every leaf is batch-first: (B, ...)
        return [FrameFeatures(int(t), pytree.tree_unflatten([v[i : i + 1] for v in leaves], spec))
                for i, t in enumerate(frames)]

    @torch.inference_mode()
    def step(self, feats: FrameFeatures, prompts: Mapping[int, FramePrompt] | None = None,
             write_memory: Optional[bool] = None, commit_prompts: bool = True) -> StepOutput:
        """Predict frame ``feats.frame`` for every tracked object; ``prompts`` (object id -> prompt,
        video pixels) condition objects on this frame and start new ones. ``write_memory``: ``None``
        follows the policy, ``False`` leaves tracked frames unwritten. ``commit_prompts=False`` leaves
        the prompted objects' conditioning entries unwritten too (a tentative prompt: nothing of this
        call stays in memory unless the caller commits it with ``write_memory(feats, out,
        conditioning=True, objects=...)``, which writes exactly the entry this call would have)."""
        t, prompts = feats.frame, dict(prompts or {})
        known = set(self.object_ids)
        new = [o for o in prompts if o not in known]
        if new:
            self._groups.append(_Group(new, t, MemoryBank(self.policy, self.horizon)))
        lows, scores, ptrs, highs, wrote = [], [], [], [], True
        with self._autocast():
            for g in self._groups:
                hit = [o for o in g.object_ids if o in prompts]
                if hit and len(hit) != len(g.object_ids):
                    missing = sorted(set(g.object_ids) - set(hit))
                    raise ValueError(f"frame {t}: prompts for objects {hit} but not for {missing}, which were "
                                     "first prompted together; prompt all of them or none")
                if hit:
                    low, score, ptr = self._prompted_step(t, g, prompts, feats.backbone, commit_prompts)
                    if not commit_prompts:  # what write_memory(conditioning=True) encodes, as _prompted_step would
                        highs.append(self._upsample(low.float()))
                    wrote = wrote and commit_prompts
                else:
                    write = self.policy.writes(t, g.start) if write_memory is None else write_memory
                    low, score, ptr, high = self._tracking_step(t, g, feats.backbone, write)
                    highs.append(high)
                    wrote = wrote and write
                lows.append(low), scores.append(score), ptrs.append(ptr)
        if not lows:
            return StepOutput(t, [], None, None, None, set(), False)
        high_res = torch.cat(highs) if len(highs) == len(lows) else None
        return StepOutput(t, self.object_ids, torch.cat(lows).float(), torch.cat(scores).float(), torch.cat(ptrs),
                          set(prompts), wrote, high_res)

    @torch.inference_mode()
    def write_memory(self, feats: FrameFeatures, out: StepOutput, mask_logits: Optional[torch.Tensor] = None,
                     conditioning: bool = False, object_score_logits: Optional[torch.Tensor] = None,
                     objects: Optional[Sequence[int]] = None) -> None:
        """Write frame ``out.frame``'s memory for every object of ``out`` (or only the groups of
        ``objects``) from ``mask_logits`` ((O, 1, h, w) logits in ``out.object_ids`` order, any h, w;
        default SAM2's own prediction), as a conditioning entry (like a user mask: binarised, always
        read) or a normal one. With the default, a frame ``step`` left unwritten gets exactly the entry
        ``step`` would have written (a tracked frame: normal; a tentative prompt: conditioning)."""
        logits = mask_logits if mask_logits is not None else (
            out.high_res_logits if out.high_res_logits is not None else out.low_res_logits)
        scores = out.object_score_logits if object_score_logits is None else object_score_logits
        if logits is None or not out.object_ids:
            return
        if logits.shape[0] != len(out.object_ids) or logits.dim() != 4:
            raise ValueError(f"mask_logits must be (O={len(out.object_ids)}, 1, h, w), got {tuple(logits.shape)}")
        index = {o: i for i, o in enumerate(out.object_ids)}
        chosen = set(index) if objects is None else set(objects)
        with self._autocast():
            for g in self._groups:
                if not set(g.object_ids) & chosen:
                    continue
                rows = torch.tensor([index[o] for o in g.object_ids], device=logits.device)
                feat, _, sizes = self._features(feats.backbone, len(g.object_ids))
                high = self._upsample(logits[rows].to(self.device).float())
                entry = self._encode_memory(feat, sizes, high, scores[rows].to(self.device), from_pts=conditioning)
                entry.update(obj_ptr=out.obj_ptr[rows], object_score_logits=scores[rows].to(self.device))
                g.memory.put(out.frame, entry, conditioning)

    # ---- SAM2 internals ----
    def _autocast(self):
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.autocast_dtype)

    def _upsample(self, low_res: torch.Tensor) -> torch.Tensor:
        if low_res.shape[-2:] == (self.image_size, self.image_size):
            return low_res
        return F.interpolate(low_res, size=(self.image_size,) * 2, mode="bilinear", align_corners=False)

    def _features(self, backbone_out: dict, batch: int):
        expanded = {"backbone_fpn": [x.expand(batch, -1, -1, -1) for x in backbone_out["backbone_fpn"]],
                    "vision_pos_enc": [x.expand(batch, -1, -1, -1) for x in backbone_out["vision_pos_enc"]]}
        _, feats, pos, sizes = self.model._prepare_backbone_features(expanded)
        return feats, pos, sizes

    def _encode_memory(self, feats, sizes, high_res: torch.Tensor, scores: torch.Tensor, from_pts: bool) -> dict:
        mem, pos = self.model._encode_new_memory(feats, sizes, high_res, scores, is_mask_from_pts=from_pts)
        if self._pos_enc is None:
            self._pos_enc = [x[0:1].clone() for x in pos]
        if self.memory_dtype is not None:
            mem = mem.to(self.memory_dtype)
        return {"maskmem_features": mem, "maskmem_pos_enc": [x.expand(mem.shape[0], -1, -1, -1) for x in self._pos_enc]}

    def _point_inputs(self, prompts: list[FramePrompt]) -> dict[str, torch.Tensor]:
        coords, labels = [], []
        for p in prompts:
            pts = np.zeros((0, 2), np.float32) if p.points is None else p.points.astype(np.float32)
            lab = np.zeros((0,), np.int32) if p.labels is None else p.labels.astype(np.int32)
            if p.kind == "box":  # a box is two points with labels 2 / 3, before any clicks
                pts = np.concatenate([p.box.reshape(2, 2).astype(np.float32), pts])
                lab = np.concatenate([np.array([2, 3], np.int32), lab])
            coords.append(self.geometry.points(pts))
            labels.append(torch.from_numpy(lab))
        return {"point_coords": torch.stack(coords).to(self.device),  # (B, P, 2) model pixels
                "point_labels": torch.stack(labels).to(self.device)}  # (B, P) int32

    def _sam_inputs(self, kind: str, prompts: list[FramePrompt], backbone_out: dict):
        """(point_inputs, mask_inputs) of one batch of same-signature prompts; ``auto`` gives neither:
        SAM2 then decodes with no user prompt. With categories (a learned prompt encoder,
        ``sam2_video.autoprompt``), ``auto`` passes zero clicks plus ``auto_categories`` (B,) and any
        ``auto_prompt_*`` entries ``forward_image`` put in ``backbone_out``, expanded to B rows."""
        if kind == "mask":
            return None, torch.cat([self.geometry.mask(p.mask) for p in prompts]).to(self.device)  # (B, 1, S, S)
        if kind == "auto":
            if any(p.category is None for p in prompts):
                return None, None
            b = len(prompts)
            carried = {k: v.expand(b, *v.shape[1:]) for k, v in backbone_out.items() if k.startswith("auto_prompt_")}
            return {"point_coords": torch.zeros(b, 0, 2, device=self.device),  # (B, 0, 2): no clicks
                    "point_labels": torch.zeros(b, 0, dtype=torch.int32, device=self.device),
                    "auto_categories": torch.tensor([p.category for p in prompts], device=self.device),
                    **carried}, None
        return self._point_inputs(prompts), None

    def _prompted_step(self, t: int, group: _Group, prompts: Mapping[int, FramePrompt], backbone_out: dict,
                       commit: bool = True):
        """Conditioning frame: SAM on this frame alone, per prompt signature, then encode memory."""
        order = group.object_ids
        buckets: dict[tuple, list[int]] = {}
        for i, oid in enumerate(order):
            buckets.setdefault(prompts[oid].signature, []).append(i)
        low, ptr, score = [None] * len(order), [None] * len(order), [None] * len(order)
        view = group.memory.view(t)
        for sig, idx in buckets.items():
            feats, pos, sizes = self._features(backbone_out, len(idx))
            point_inputs, mask_inputs = self._sam_inputs(sig[0], [prompts[order[i]] for i in idx], backbone_out)
            _, sam_out, _, _ = self.model._track_step(t, True, feats, pos, sizes, point_inputs, mask_inputs,
                                                      view, self.num_frames, False, None)
            _, _, _, low_res, _, obj_ptr, obj_score = sam_out
            for j, i in enumerate(idx):
                low[i], ptr[i], score[i] = low_res[j : j + 1], obj_ptr[j : j + 1], obj_score[j : j + 1]
        low_res, scores, ptrs = torch.cat(low).float(), torch.cat(score), torch.cat(ptr)
        if not commit:
            group.memory.prune(t)
            return low_res, scores, ptrs
        feats, _, sizes = self._features(backbone_out, len(order))
        entry = self._encode_memory(feats, sizes, self._upsample(low_res), scores, from_pts=True)
        entry.update(obj_ptr=ptrs, object_score_logits=scores)
        group.memory.put(t, entry, conditioning=True)
        return low_res, scores, ptrs

    def _tracking_step(self, t: int, group: _Group, backbone_out: dict, write: bool):
        feats, pos, sizes = self._features(backbone_out, len(group.object_ids))
        _, sam_out, _, _ = self.model._track_step(t, False, feats, pos, sizes, None, None, group.memory.view(t),
                                                  self.num_frames, False, None)
        _, _, _, low_res, high_res, obj_ptr, obj_score = sam_out
        if write:
            entry = self._encode_memory(feats, sizes, high_res, obj_score, from_pts=False)
            entry.update(obj_ptr=obj_ptr, object_score_logits=obj_score)
            group.memory.put(t, entry, conditioning=False)
        else:
            group.memory.prune(t)
        return low_res.float(), obj_score, obj_ptr, high_res
