"""The one renderer of masks over frames: colours by object id, legible on any texture.

Every picture of this project goes through here (``sam2_video.data.inspect``, the validation
pictures logged during training, the evaluation report's worst frames, the overlay videos), so an
object has the same colour in the ground truth and the prediction and in every output:

- colour = entry ``(id - 1) % 20`` of twenty distinct saturated colours (``object_color``; ids 1, 2,
  3 are red, green, yellow like the DAVIS palette of the mask PNGs, whose values are the same ids);
- the frame under the masks is desaturated and slightly darkened (``muted``) so that saturated
  tissue / instrument textures do not compete with the mask colours;
- each object is filled semi-transparently and outlined twice (a dark halo, then its colour), so
  its border is visible on bright and on dark backgrounds; optionally its id is written on it.
"""

from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np

from sam2_video.data.clip_dataset import ClipItem
from sam2_video.data.normalize import denormalize_frames

PALETTE = np.array([  # (20, 3) RGB, object id k -> row (k - 1) % 20 (20 distinct colours, Trubetskoy)
    (230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48), (145, 30, 180), (70, 240, 240),
    (240, 50, 230), (210, 245, 60), (250, 190, 212), (0, 128, 128), (220, 190, 255), (170, 110, 40),
    (255, 250, 200), (128, 0, 0), (170, 255, 195), (128, 128, 0), (255, 215, 180), (0, 0, 128), (128, 128, 128),
], dtype=np.uint8)
_HALO = (16, 16, 16)
_FONT = cv2.FONT_HERSHEY_SIMPLEX


def object_color(obj_id: int) -> tuple[int, int, int]:
    """RGB colour of object id ``obj_id`` (>= 1); the same id always gets the same colour."""
    return tuple(int(c) for c in PALETTE[(int(obj_id) - 1) % len(PALETTE)])


def halo_color(color: tuple[int, int, int]) -> tuple[int, int, int]:
    """The outline under a colour: near-black under light colours, near-white under dark ones."""
    luma = 0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2]
    return _HALO if luma > 80 else (235, 235, 235)


def muted(image: np.ndarray, saturation: float = 0.35, brightness: float = 0.8) -> np.ndarray:
    """(H, W, 3) uint8 RGB -> float32 copy with colours pulled towards grey and slightly darkened."""
    img = image.astype(np.float32)
    grey = img @ np.array([0.299, 0.587, 0.114], np.float32)
    return (grey[..., None] + saturation * (img - grey[..., None])) * brightness


def _line_width(h: int, w: int) -> int:
    return max(1, int(round(min(h, w) / 180)))


def _anchor(mask: np.ndarray) -> tuple[int, int]:
    """(x, y) of the pixel deepest inside ``mask`` (where an id label stays on the object)."""
    dist = cv2.distanceTransform(np.pad(mask.astype(np.uint8), 1), cv2.DIST_L2, 3)[1:-1, 1:-1]
    y, x = np.unravel_index(int(np.argmax(dist)), dist.shape)
    return int(x), int(y)


def put_text(canvas: np.ndarray, text: str, org: tuple[int, int], color=(255, 255, 255), scale: float = 0.4) -> None:
    """Draw ``text`` with its baseline-left corner at ``org`` on a dark box (in place)."""
    (tw, th), base = cv2.getTextSize(text, _FONT, scale, 1)
    x, y = org
    cv2.rectangle(canvas, (x - 1, y - th - 2), (x + tw + 1, y + base), _HALO, -1)
    cv2.putText(canvas, text, (x, y), _FONT, scale, color, 1, cv2.LINE_AA)


def draw_objects(image: np.ndarray, masks: np.ndarray, ids: Sequence[int], alpha: float = 0.45,
                 show_ids: bool = False, mute: bool = True) -> np.ndarray:
    """(H, W, 3) uint8 RGB with objects drawn: ``masks`` (O, H, W) bool, ``ids`` (O,) object ids.

    Returns a new (H, W, 3) uint8 RGB image; empty masks draw nothing.
    """
    h, w = image.shape[:2]
    canvas = muted(image) if mute else image.astype(np.float32)
    present = [(m, int(i)) for m, i in zip(np.asarray(masks, bool), ids) if m.any()]
    for m, i in present:
        canvas[m] = (1 - alpha) * canvas[m] + alpha * np.array(object_color(i), np.float32)
    canvas = np.clip(canvas, 0, 255).astype(np.uint8)
    lw = _line_width(h, w)
    for m, i in present:
        contours, _ = cv2.findContours(m.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        cv2.drawContours(canvas, contours, -1, halo_color(object_color(i)), lw + 2)
        cv2.drawContours(canvas, contours, -1, object_color(i), lw)
    if show_ids:
        scale = max(0.35, min(h, w) / 500)
        for m, i in present:
            x, y = _anchor(m)
            put_text(canvas, str(i), (x, y), object_color(i), scale)
    return canvas


def labels_to_masks(labels: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """(H, W) integer label map (0 = background, value = object id) -> ((O, H, W) bool, ids)."""
    ids = [int(v) for v in np.unique(labels) if v != 0]
    return (np.stack([labels == v for v in ids]) if ids else np.zeros((0, *labels.shape), bool)), ids


def draw_labels(image: np.ndarray, labels: np.ndarray, **kwargs) -> np.ndarray:
    """``draw_objects`` for a (H, W) label map whose values are object ids."""
    masks, ids = labels_to_masks(labels)
    return draw_objects(image, masks, ids, **kwargs)


def titled(image: np.ndarray, title: str) -> np.ndarray:
    """(H, W, 3) uint8 -> (H + bar, W, 3) uint8 with ``title`` in a dark bar on top."""
    bar = np.full((18, image.shape[1], 3), _HALO, np.uint8)
    cv2.putText(bar, title, (3, 13), _FONT, 0.4, (255, 255, 255), 1, cv2.LINE_AA)
    return np.concatenate([bar, image], axis=0)


def hstack(panels: Sequence[np.ndarray], gap: int = 2) -> np.ndarray:
    """Panels of equal height side by side, separated by ``gap`` white pixels."""
    sep = np.full((panels[0].shape[0], gap, 3), 255, np.uint8)
    out = [panels[0]]
    for p in panels[1:]:
        out += [sep, p]
    return np.concatenate(out, axis=1)


def vstack(panels: Sequence[np.ndarray], gap: int = 2) -> np.ndarray:
    """Panels of equal width stacked, separated by ``gap`` white pixels."""
    return hstack([p.transpose(1, 0, 2) for p in panels], gap).transpose(1, 0, 2)


def comparison(image: np.ndarray, gt: np.ndarray, pred: np.ndarray, ids: Sequence[int],
               titles: Sequence[str] = ("image", "ground truth", "prediction")) -> np.ndarray:
    """image | ground truth | prediction of one frame; ``gt`` / ``pred`` (O, H, W) bool for ``ids``."""
    panels = [image, draw_objects(image, gt, ids), draw_objects(image, pred, ids)]
    return hstack([titled(p, t) for p, t in zip(panels, titles)])


def clip_strip(frames: np.ndarray, gt: np.ndarray, pred: np.ndarray, ids: Sequence[int], title: str = "",
               tile: int | None = None) -> np.ndarray:
    """Rows image / ground truth / prediction, one column per frame.

    ``frames`` (T, H, W, 3) uint8 RGB, ``gt`` / ``pred`` (T, O, H, W) bool, ``ids`` (O,) object ids;
    ``tile``: longest side of each frame in pixels (None: as given). Returns (H', W', 3) uint8 RGB.
    """
    def fit(img: np.ndarray, nearest: bool = False) -> np.ndarray:
        if tile is None or max(img.shape[:2]) == tile:
            return img
        f = tile / max(img.shape[:2])
        size = (max(1, round(img.shape[1] * f)), max(1, round(img.shape[0] * f)))
        return cv2.resize(img, size, interpolation=cv2.INTER_NEAREST if nearest else cv2.INTER_AREA)

    def small_masks(m: np.ndarray) -> np.ndarray:  # (O, H, W) bool -> resized (O, h, w) bool
        if len(m) == 0 or tile is None:
            return m if tile is None else np.zeros((0, *fit(frames[0]).shape[:2]), bool)
        return np.stack([fit(x.astype(np.uint8), nearest=True) > 0 for x in m])

    rows = {"image": [], "ground truth": [], "prediction": []}
    for t, frame in enumerate(frames):
        img = fit(frame)
        rows["image"].append(img)
        rows["ground truth"].append(draw_objects(img, small_masks(gt[t]), ids))
        rows["prediction"].append(draw_objects(img, small_masks(pred[t]), ids))
    grid = vstack([titled(hstack(r), name) for name, r in rows.items()])
    return titled(grid, title) if title else grid


def render_clip(item: ClipItem, alpha: float = 0.45) -> np.ndarray:
    """(S, T * S, 3) uint8 RGB strip: frames with mask overlays and contours; on each object's prompt
    frame its box (rectangle), positive points (filled) and negative points (crosses)."""
    frames = denormalize_frames(item.frames)  # (T, S, S, 3)
    masks = item.masks.numpy()  # (T, N, S, S)
    ids = [int(i) for i in item.object_ids]  # track ids: the colours of the eval overlays and val pictures
    out = []
    for t, img in enumerate(frames):
        canvas = draw_objects(img, masks[t], ids, alpha=alpha)
        for i in range(masks.shape[1]):
            if int(item.prompt_frames[i]) != t:
                continue
            x0, y0, x1, y1 = (int(round(v)) for v in item.boxes[i].tolist())
            if x1 > x0:
                cv2.rectangle(canvas, (x0, y0), (x1, y1), object_color(ids[i]), 1)
            for (x, y), lab in zip(item.point_coords[i].tolist(), item.point_labels[i].tolist()):
                p = (int(round(x)), int(round(y)))
                if lab == 1:
                    cv2.circle(canvas, p, 3, (0, 255, 0), -1)
                    cv2.circle(canvas, p, 3, (0, 0, 0), 1)
                elif lab == 0:
                    cv2.drawMarker(canvas, p, (255, 0, 0), cv2.MARKER_TILTED_CROSS, 7, 2)
        put_text(canvas, str(int(item.frame_orders[t])), (2, 12))
        out.append(canvas)
    return np.concatenate(out, axis=1)


def save_rgb(path, img: np.ndarray) -> None:
    """Write an RGB uint8 image with OpenCV (which expects BGR)."""
    if not cv2.imwrite(str(path), cv2.cvtColor(img, cv2.COLOR_RGB2BGR)):
        raise OSError(f"cannot write {path}")
