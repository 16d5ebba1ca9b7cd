"""Generated test scenes for the streaming loop: an object that an occluder fully hides.

Both scenes draw their objects with the synthetic dataset's own generator
(`sam2_video.data.synthetic_scene`: textures, shapes, wobble, background), so a debug SAM2 fitted on
such scenes tracks them; the tracked object (track 1) is a textured ellipse drifting slowly near the
centre, seeded on frame 0.

- :func:`occlusion_video`: a large textured ellipse flies in from the left (like the dataset's
  fly-through objects), passes in front of the object, hides it fully for about ten frames (longer
  than SAM2's memory window of 7 entries) and leaves on the right; the object reappears where it
  vanished, looking as before.
- :func:`reveal_video`: an instrument-like occluder is swept in over the object at once, hovers on it
  for ``cover_frames`` and is withdrawn at once (a surgical instrument put down on tissue, then
  lifted). While covered the object changes its look (``restyle``: a new texture, e.g. stained or lit
  differently), so neither frame 0's conditioning memory nor the memories written while it was
  covered match it when it is uncovered: plain memory propagation loses it, while a re-prompt at its
  last box finds it again (docs/streaming.md, "Recovery after a full occlusion").

Used by the auto-prompting recovery test and bench and by `sam2_video.data.occlusion_dataset`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Optional

import cv2
import numpy as np

from sam2_video.data.synthetic_scene import SceneObject, background, make_objects, shape_mask


@dataclass(frozen=True)
class OcclusionVideo:
    frames: np.ndarray  # (T, H, W, 3) uint8 RGB
    masks: np.ndarray  # (T, H, W) bool visible object mask (ground truth)
    occluder: np.ndarray  # (T, H, W) bool occluder mask (in front: always fully visible)
    before: list[int]  # frames 1.. before the occluder first touches the object (fully visible)
    hidden: list[int]  # frames where the object is fully hidden
    clear: list[int]  # frames after the occlusion where the object is fully visible again


def occlusion_video(num_frames: int = 48, size: int = 128, seed: int = 0, speed: float = 5.0) -> OcclusionVideo:
    """Object (track 1) seeded on frame 0; the occluder (``speed`` px / frame) covers it from ~frame 21
    to ~30 at the defaults and is gone from ~frame 40."""
    rng = np.random.default_rng(seed)
    h = w = int(size)
    target, occluder = make_objects(rng, h, w, 2, [1, 1], num_frames)
    target = replace(target, z=0, center0=np.array([0.55 * w, 0.5 * h]), velocity=np.array([0.15, 0.0]),
                     size=0.15 * size, bounce=True, params={"ratio": 0.7})
    occluder = replace(occluder, z=1, center0=np.array([-0.45 * w, 0.5 * h]), velocity=np.array([speed, 0.0]),
                       wobble=np.full(2, 0.01 * size), size=0.36 * size, bounce=False, params={"ratio": 0.9})
    bg = _background(rng, size)
    return _render(bg, num_frames, lambda t: target, lambda t: occluder)


def reveal_video(num_frames: int = 48, size: int = 128, seed: int = 0, cover_from: int = 16,
                 cover_frames: int = 14, restyle: bool = True) -> OcclusionVideo:
    """Object (track 1) seeded on frame 0; an occluder covers it fully on frames ``cover_from`` ..
    ``cover_from + cover_frames - 1`` (appearing and vanishing at once); with ``restyle`` the object
    wears another texture from ``cover_from`` on (see module doc)."""
    rng = np.random.default_rng(seed)
    h = w = int(size)
    target, occluder, look = make_objects(rng, h, w, 3, [1, 1, 1], num_frames)
    target = replace(target, z=0, center0=np.array([0.55 * w, 0.5 * h]), velocity=np.array([0.15, 0.0]),
                     size=0.15 * size, bounce=True, params={"ratio": 0.7})
    restyled = replace(target, texture=look.texture) if restyle else target
    occluder = replace(occluder, z=1, center0=np.array([0.56 * w, 0.5 * h]), velocity=np.zeros(2),
                       wobble=np.full(2, 0.02 * size), size=0.3 * size, bounce=False, params={"ratio": 0.9})
    bg = _background(rng, size)
    covered = range(cover_from, cover_from + cover_frames)
    return _render(bg, num_frames, lambda t: restyled if t >= cover_from else target,
                   lambda t: occluder if t in covered else None)


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    margin = max(4, int(0.1 * size))
    return background(rng, size, size, margin)[margin : margin + size, margin : margin + size]


def _render(bg: np.ndarray, num_frames: int, target_at: Callable[[int], SceneObject],
            occluder_at: Callable[[int], Optional[SceneObject]]) -> OcclusionVideo:
    """Draw the object and (when present) the occluder in front of it on every frame; the phases
    (before / hidden / clear) come from the visible masks."""
    h, w = bg.shape[:2]
    frames = np.empty((num_frames, h, w, 3), np.uint8)
    masks = np.zeros((num_frames, h, w), bool)
    occ = np.zeros((num_frames, h, w), bool)
    before, hidden, clear = [], [], []
    for t in range(num_frames):
        img = bg.copy()
        full = np.zeros((h, w), bool)
        for i, o in enumerate((target_at(t), occluder_at(t))):  # back to front
            if o is None:
                continue
            m, mat = shape_mask(o, t, h, w)
            sel = m.astype(bool)
            tex = cv2.warpAffine(o.texture, mat, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
            img[sel] = tex[sel]
            if i == 0:
                full = sel
            else:
                occ[t] = sel
        masks[t] = full & ~occ[t]
        frames[t] = img
        if not masks[t].any():
            hidden.append(t)
        elif not hidden and t > 0 and masks[t].sum() == full.sum() and len(before) == t - 1:
            before.append(t)
        elif hidden and masks[t].sum() == full.sum():
            clear.append(t)
    return OcclusionVideo(frames, masks, occ, before, hidden, clear)
