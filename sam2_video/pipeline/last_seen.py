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
from typing import Mapping, Optional, Sequence

import numpy as np

from sam2_video.prompt.sampler import center_point, tight_box
from sam2_video.prompt import FramePrompt
from sam2_video.pipeline.appearance import similarity


AREA_HISTORY = 10  # good masks whose largest area is the reference (DAM4SAM: the last 10 non-empty sizes)


@dataclass(frozen=True)
class LastSeen:
    frame: int
    mask: np.ndarray  # (H, W) bool, non-empty
    feature: Optional[np.ndarray] = None  # (D,) appearance (sam2_video.pipeline.appearance); None: not checked
    areas: tuple[int, ...] = ()  # areas of the last good masks, newest last (at most AREA_HISTORY)

    @property
    def area(self) -> float:
        """The object's full area: the largest of its recent good areas (being covered only shrinks a
        mask, so the slivers of a gradual occlusion never become the reference)."""
        return float(max(self.areas)) if self.areas else float(self.mask.sum())


def prompt_from_mask(mask: np.ndarray) -> FramePrompt:
    """(H, W) bool non-empty -> box + one positive point, video pixels."""
    return FramePrompt("box", box=tight_box(mask).astype(np.float32),
                       points=center_point(mask)[None].astype(np.float32), labels=np.ones(1, np.int32))


def plausible(mask: np.ndarray, last: Optional[LastSeen], feature: Optional[np.ndarray] = None,
              max_growth: float = 2.0, min_similarity: Optional[float] = None) -> bool:
    """Whether an (H, W) bool mask can be the object last seen as ``last``: non-empty, its area within
    ``1 / max_growth .. max_growth`` times the object's full area (``last.area``) and, with
    ``min_similarity`` set and both appearance ``feature`` s given, at least that similar
    (sam2_video.pipeline.appearance); any non-empty mask when ``last`` is None."""
    area = int(mask.sum())
    if not area:
        return False
    if last is None:
        return True
    ratio = area / max(last.area, 1.0)
    if not 1.0 / max_growth <= ratio <= max_growth:
        return False
    if min_similarity is None or feature is None or last.feature is None:
        return True
    return similarity(feature, last.feature) >= min_similarity


def remember(last: Mapping[int, LastSeen], t: int, object_ids: Sequence[int], masks: np.ndarray,
             max_growth: float = 2.0, features: Optional[Sequence[np.ndarray]] = None,
             min_similarity: Optional[float] = None) -> dict[int, LastSeen]:
    """Update the last good mask of each object with frame ``t``'s (O, H, W) bool ``masks``.

    A mask is good when :func:`plausible`: non-empty, its area within ``1 / max_growth .. max_growth``
    times the object's full area (the largest of its last good areas) and, with appearance ``features``
    ((D,) per object), similar enough to the last good one. This holds however long the object has been gone: a mask that swallowed the
    occluder (or a collapse) is never taken as the object, so once the hold is over the re-prompts
    stop until SAM2's own memory finds something of the object's size again (taking any non-empty
    mask after the hold made the re-prompts follow the occluder: IoU after the occlusion -0.26 vs
    plain with hold 10, docs/benchmarks.md).
    """
    out = dict(last)
    for i, (oid, m) in enumerate(zip(object_ids, masks)):
        feature = None if features is None else features[i]
        prev = out.get(oid)
        if plausible(m, prev, feature, max_growth, min_similarity):
            areas = (prev.areas if prev is not None else ())[-(AREA_HISTORY - 1):] + (int(m.sum()),)
            out[oid] = LastSeen(t, m, feature, areas)
    return out


def auto_prompts(t: int, last: Mapping[int, LastSeen], groups: Sequence[Sequence[int]], hold: int) -> dict[int, FramePrompt]:
    """Prompts for frame ``t`` of the groups whose members were all seen within ``hold`` frames."""
    out: dict[int, FramePrompt] = {}
    for group in groups:
        seen = [last.get(o) for o in group]
        if all(s is not None and t - s.frame <= hold + 1 for s in seen):
            out.update({o: prompt_from_mask(s.mask) for o, s in zip(group, seen)})
    return out
