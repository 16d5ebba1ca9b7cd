"""Generated test scenes for the streaming loop: an object that a sweeping occluder fully hides.

``occlusion_video`` renders a textured ellipse (the tracked object, drifting slowly) on the synthetic
dataset's background (`sam2_video.data.synthetic_scene`), and a wide textured bar that sweeps across
the frame from left to right, in front of it: the object is partly, then fully hidden for a few
frames, then reappears where it vanished. Used by the auto-prompting recovery test and bench.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from sam2_video.data.synthetic_scene import background, hsv_to_rgb


@dataclass(frozen=True)
class OcclusionVideo:
    frames: np.ndarray  # (T, H, W, 3) uint8 RGB
    masks: np.ndarray  # (T, H, W) bool visible object mask (ground truth)
    hidden: list[int]  # frames where the object is fully hidden
    clear: list[int]  # frames after the occluder has fully passed


def _stripes(h: int, w: int, hue: float, period: float, angle: float) -> np.ndarray:
    yy, xx = np.mgrid[:h, :w].astype(np.float32)
    u = (xx * np.cos(angle) + yy * np.sin(angle)) / period
    wgt = (0.5 + 0.5 * np.sin(2 * np.pi * u))[..., None]
    return (hsv_to_rgb(hue, 0.8, 0.9) * (1 - wgt) + hsv_to_rgb(hue, 0.6, 0.5) * wgt).astype(np.uint8)


def occlusion_video(num_frames: int = 40, size: int = 128, seed: int = 0, speed: float = 4.0) -> OcclusionVideo:
    rng = np.random.default_rng(seed)
    h = w = int(size)
    margin = 8
    bg = background(rng, h, w, margin)[margin : margin + h, margin : margin + w]
    obj_tex = _stripes(h, w, 0.02, 7.0, 0.6)
    occ_tex = _stripes(h, w, 0.55, 11.0, -0.9)
    rx, ry = 0.15 * size, 0.11 * size
    bar = 0.4 * size
    x_start = -bar + 0.05 * size
    frames = np.empty((num_frames, h, w, 3), np.uint8)
    masks = np.zeros((num_frames, h, w), bool)
    hidden, clear = [], []
    for t in range(num_frames):
        cx, cy = 0.5 * size + 0.3 * t, 0.5 * size
        obj = np.zeros((h, w), np.uint8)
        cv2.ellipse(obj, (int(round(cx)), int(round(cy))), (int(rx), int(ry)), 10.0, 0, 360, 1, -1)
        x0 = x_start + speed * t
        occ = np.zeros((h, w), bool)
        occ[:, max(0, int(x0)) : max(0, int(x0 + bar))] = True
        img = bg.copy()
        img[obj.astype(bool)] = obj_tex[obj.astype(bool)]
        img[occ] = occ_tex[occ]
        visible = obj.astype(bool) & ~occ
        frames[t], masks[t] = img, visible
        if not visible.any():
            hidden.append(t)
        elif hidden and x0 > cx + rx + 1:
            clear.append(t)
    return OcclusionVideo(frames, masks, hidden, clear)
