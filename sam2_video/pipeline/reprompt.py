"""Confirmed re-prompting (``stream.autoprompt_mode=confirm``): re-prompt SAM2 only where its tracking
lost the object, and keep the answer only when it is the object.

On a frame where re-prompting is due, SAM2 first tracks every object from memory (nothing written
yet). An object whose tracked mask is not :func:`~sam2_video.pipeline.last_seen.plausible` against its
last good mask (empty, or an area off its full area by more than ``max_growth``: SAM2 followed the
occluder, or found nothing; optionally also a look in SAM2's features unlike its last good mask's)
is *lost*. Each group with a lost member, seen within ``hold`` frames, is prompted with its last good
masks' box + inside point as a *tentative* prompt (``TrackingSession.step(commit_prompts=False)``:
nothing enters memory). A group whose answers are all plausible is *confirmed*: its answers replace
the tracked masks and are committed as conditioning memory (``write_memory(conditioning=True)``),
exactly the entry an applied prompt writes. Otherwise the tracked masks stand and nothing of the
re-prompt remains, so a re-prompt made while the object is hidden (its box on the occluder, whose
answer is the whole occluder) can neither show nor teach the occluder. With ``always`` (the first
rule) every due re-prompt is applied and written, whatever it returns; docs/streaming.md compares
both.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping, Optional, Sequence

import numpy as np
import torch

from sam2_video.inference.session import FrameFeatures, StepOutput, TrackingSession
from sam2_video.pipeline.appearance import appearance
from sam2_video.pipeline.last_seen import LastSeen, plausible, prompt_from_mask


def looks_of(session: TrackingSession, feats: FrameFeatures, masks: np.ndarray,
             min_similarity: Optional[float]) -> list[Optional[np.ndarray]]:
    """(O, H, W) bool frame-resolution masks -> O appearance vectors (sam2_video.pipeline.appearance) when
    the look is checked (``min_similarity`` set), else Nones (no cost)."""
    if min_similarity is None:
        return [None] * len(masks)
    return [appearance(feats.backbone, session.geometry.mask(m)) for m in masks]


def reprompt_lost(session: TrackingSession, feats: FrameFeatures, out: StepOutput, last: Mapping[int, LastSeen],
                  groups: Sequence[Sequence[int]], hold: int, max_growth: float,
                  min_similarity: Optional[float] = None) -> tuple[StepOutput, set[int]]:
    """``out``: the tracking step of this frame (nothing prompted in ``groups``, memory not written yet).
    Returns the output with the confirmed groups' rows replaced by their re-prompt answers (already
    committed as conditioning memory) and the confirmed object ids (see module doc)."""
    t, ids = out.frame, out.object_ids
    if out.low_res_logits is None:
        return out, set()
    row = {o: i for i, o in enumerate(ids)}
    tracked = (session.geometry.logits(out.low_res_logits) > 0).cpu().numpy()  # (O, H, W)
    lost = []
    for g in groups:
        seen = [last.get(o) for o in g]
        if any(s is None or t - s.frame > hold + 1 for s in seen):
            continue
        looks = looks_of(session, feats, tracked[[row[o] for o in g]], min_similarity)
        if not all(plausible(tracked[row[o]], s, f, max_growth, min_similarity) for o, s, f in zip(g, seen, looks)):
            lost.append(list(g))
    if not lost:
        return out, set()
    prompts = {o: prompt_from_mask(last[o].mask) for g in lost for o in g}
    answer = session.step(feats, prompts, write_memory=False, commit_prompts=False)
    masks = (session.geometry.logits(answer.low_res_logits) > 0).cpu().numpy()
    confirmed: set[int] = set()
    for g in lost:
        looks = looks_of(session, feats, masks[[row[o] for o in g]], min_similarity)
        if all(plausible(masks[row[o]], last[o], f, max_growth, min_similarity) for o, f in zip(g, looks)):
            confirmed.update(g)
    if not confirmed:
        return out, set()
    session.write_memory(feats, answer, conditioning=True, objects=sorted(confirmed))
    take = torch.tensor([o in confirmed for o in ids], device=out.low_res_logits.device)

    def pick(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:  # rows of the answer where confirmed
        return torch.where(take.view(-1, *[1] * (a.dim() - 1)).to(a.device), b.to(a.dtype), a)

    merged = dataclasses.replace(
        out, low_res_logits=pick(out.low_res_logits, answer.low_res_logits),
        object_score_logits=pick(out.object_score_logits, answer.object_score_logits),
        obj_ptr=pick(out.obj_ptr, answer.obj_ptr),
        high_res_logits=None if out.high_res_logits is None else pick(out.high_res_logits, answer.high_res_logits),
        prompted=set(out.prompted) | confirmed)
    return merged, confirmed
