"""Generated test scenes for the streaming loop: an object that a passing occluder fully hides.

``occlusion_video`` builds its two objects with the synthetic dataset's own generator
(`sam2_video.data.synthetic_scene`: textures, shapes, wobble, background), so a debug SAM2 fitted
on that dataset (``train.py experiment=demo``) tracks them: the tracked object is a textured
ellipse drifting slowly near the centre; a large textured ellipse flies in from the left (like the
dataset's fly-through objects), passes in front of it, hides it fully for about ten frames
(longer than SAM2's memory window of 7 entries) and leaves on the right; the object reappears
where it vanished. Used by the auto-prompting recovery test and bench.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from sam2_video.data.synthetic_scene import background, make_objects, shape_mask


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
    margin = max(4, int(0.1 * size))
    bg = background(rng, h, w, margin)[margin : margin + h, margin : margin + w]
    frames = np.empty((num_frames, h, w, 3), np.uint8)
    masks = np.zeros((num_frames, h, w), bool)
    occ = np.zeros((num_frames, h, w), bool)
    before, hidden, clear = [], [], []
    for t in range(num_frames):
        img = bg.copy()
        full = np.zeros((h, w), bool)
        for o in (target, occluder):  # back to front
            m, mat = shape_mask(o, t, h, w)
            sel = m.astype(bool)
            tex = cv2.warpAffine(o.texture, mat, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
            img[sel] = tex[sel]
            if o is target:
                full = sel
            else:
                masks[t], occ[t] = full & ~sel, sel
        frames[t] = img
        if not masks[t].any():
            hidden.append(t)
        elif not hidden and t > 0 and masks[t].sum() == full.sum() and len(before) == t - 1:
            before.append(t)
        elif hidden and masks[t].sum() == full.sum():
            clear.append(t)
    return OcclusionVideo(frames, masks, occ, before, hidden, clear)
