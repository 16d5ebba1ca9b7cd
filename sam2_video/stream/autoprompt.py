"""Auto-prompting SAM2 from the previous final mask (seed 004): a positive point inside, its box.

The point is the mask pixel farthest from its edge (``prompt.sampler.center_point``), the box the tight
box (``prompt.sampler.tight_box``); SAM2 encodes them as one box + one click. While an object is gone
(empty mask, or a mask whose area jumped: e.g. the box swallowed an occluder), its last good mask
keeps prompting for ``hold`` frames (so it is looked for where it vanished); after that it is left
to SAM2's memory until SAM2 finds a mask of a plausible size again.

Objects first prompted on the same frame form one SAM2 group and must be prompted together:
:func:`auto_prompts` prompts a group only when every member has a usable mask.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from sam2_video.prompt.sampler import center_point, tight_box
from sam2_video.prompt import FramePrompt


@dataclass(frozen=True)
class LastSeen:
    frame: int
    mask: np.ndarray  # (H, W) bool, non-empty


def prompt_from_mask(mask: np.ndarray) -> FramePrompt:
    """(H, W) bool non-empty -> box + one positive point, video pixels."""
    return FramePrompt("box", box=tight_box(mask).astype(np.float32),
                       points=center_point(mask)[None].astype(np.float32), labels=np.ones(1, np.int32))


def remember(last: Mapping[int, LastSeen], t: int, object_ids: Sequence[int], masks: np.ndarray,
             max_growth: float = 2.0) -> dict[int, LastSeen]:
    """Update the last good mask of each object with frame ``t``'s (O, H, W) bool ``masks``.

    A mask is good when non-empty and its area is within ``1 / max_growth .. max_growth`` times the
    last good one. This holds however long the object has been gone: a mask that swallowed the
    occluder (or a collapse) is never taken as the object, so once the hold is over the re-prompts
    stop until SAM2's own memory finds something of the object's size again (taking any non-empty
    mask after the hold made the re-prompts follow the occluder: IoU after the occlusion -0.26 vs
    plain with hold 10, docs/benchmarks.md).
    """
    out = dict(last)
    for oid, m in zip(object_ids, masks):
        area = int(m.sum())
        if not area:
            continue
        prev = out.get(oid)
        if prev is not None:
            ratio = area / max(int(prev.mask.sum()), 1)
            if not 1.0 / max_growth <= ratio <= max_growth:
                continue
        out[oid] = LastSeen(t, m)
    return out


def auto_prompts(t: int, last: Mapping[int, LastSeen], groups: Sequence[Sequence[int]], hold: int) -> dict[int, FramePrompt]:
    """Prompts for frame ``t`` of the groups whose members were all seen within ``hold`` frames."""
    out: dict[int, FramePrompt] = {}
    for group in groups:
        seen = [last.get(o) for o in group]
        if all(s is not None and t - s.frame <= hold + 1 for s in seen):
            out.update({o: prompt_from_mask(s.mask) for o, s in zip(group, seen)})
    return out
