"""Render a clip with its masks and prompts to an RGB image (used by ``sam2_video.data.inspect``)."""

from __future__ import annotations

import cv2
import numpy as np

from sam2_video.data.clip_dataset import ClipItem
from sam2_video.data.normalize import denormalize_frames
from sam2_video.data.davis import davis_palette

_PALETTE = np.array(davis_palette(), dtype=np.uint8).reshape(256, 3)


def object_color(i: int) -> tuple[int, int, int]:
    """A distinct RGB colour for object slot ``i`` (DAVIS palette, skipping black)."""
    return tuple(int(c) for c in _PALETTE[1 + i % 255])


def render_clip(item: ClipItem, alpha: float = 0.5) -> np.ndarray:
    """(S, T * S, 3) uint8 RGB strip: frames with mask overlays and contours; on each object's prompt
    frame its box (rectangle), positive points (filled) and negative points (crosses)."""
    frames = denormalize_frames(item.frames)  # (T, S, S, 3)
    masks = item.masks.numpy()  # (T, N, S, S)
    out = []
    for t, img in enumerate(frames):
        canvas = img.astype(np.float32)
        for i in range(masks.shape[1]):
            m = masks[t, i]
            canvas[m] = canvas[m] * (1 - alpha) + np.array(object_color(i), dtype=np.float32) * alpha
        canvas = np.clip(canvas, 0, 255).astype(np.uint8)
        for i in range(masks.shape[1]):
            contours, _ = cv2.findContours(masks[t, i].astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
            cv2.drawContours(canvas, contours, -1, object_color(i), 1)
            if int(item.prompt_frames[i]) != t:
                continue
            x0, y0, x1, y1 = (int(round(v)) for v in item.boxes[i].tolist())
            if x1 > x0:
                cv2.rectangle(canvas, (x0, y0), (x1, y1), object_color(i), 1)
            for (x, y), lab in zip(item.point_coords[i].tolist(), item.point_labels[i].tolist()):
                p = (int(round(x)), int(round(y)))
                if lab == 1:
                    cv2.circle(canvas, p, 3, (0, 255, 0), -1)
                    cv2.circle(canvas, p, 3, (0, 0, 0), 1)
                elif lab == 0:
                    cv2.drawMarker(canvas, p, (255, 0, 0), cv2.MARKER_TILTED_CROSS, 7, 2)
        cv2.putText(canvas, str(int(item.frame_orders[t])), (2, 12), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255), 1)
        out.append(canvas)
    return np.concatenate(out, axis=1)


def save_rgb(path, img: np.ndarray) -> None:
    """Write an RGB uint8 image with OpenCV (which expects BGR)."""
    if not cv2.imwrite(str(path), cv2.cvtColor(img, cv2.COLOR_RGB2BGR)):
        raise OSError(f"cannot write {path}")
