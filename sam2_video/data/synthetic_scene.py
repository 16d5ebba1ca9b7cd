"""Procedural video scenes for the synthetic dataset: textured shapes moving over a textured background.

Each object has a category (1 ellipse, 2 polygon, 3 instrument-like bar), a distinct hue and its
own texture (stripes / checks / dots) that moves with it, so a small SAM2 can tell objects apart.
Objects translate, rotate and deform (axes / vertex radii / jaw opening oscillate); they are drawn
back to front in a fixed z-order, so nearer objects occlude farther ones, and a visible mask is what
is left of an object after occlusion. Some objects enter or leave the frame. Everything is
vectorised cv2 / numpy; one `np.random.Generator` drives a whole video.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

CATEGORIES = {1: "ellipse", 2: "polygon", 3: "instrument"}


@dataclass
class SceneObject:
    track_id: int
    category: int
    z: int
    texture: np.ndarray  # (P, P, 3) uint8 RGB, in object coordinates
    center0: np.ndarray  # (2,) xy at t = 0
    velocity: np.ndarray  # (2,) px / frame
    wobble: np.ndarray  # (2,) amplitude px
    phase: float
    omega: float  # wobble / deformation angular speed (rad / frame)
    angle0: float  # degrees
    spin: float  # degrees / frame
    size: float  # main radius / half-width in px
    bounce: bool  # reflect at the borders (stays in view) or fly through (enters / leaves)
    params: dict = field(default_factory=dict)


def hsv_to_rgb(h: float, s: float, v: float) -> np.ndarray:
    px = np.array([[[h * 180.0, s * 255.0, v * 255.0]]], dtype=np.float32).clip(0, [179, 255, 255])
    return cv2.cvtColor(px.astype(np.uint8), cv2.COLOR_HSV2RGB)[0, 0].astype(np.float32)


def _texture(rng: np.random.Generator, p: int, hue: float) -> np.ndarray:
    """A (p, p, 3) texture: a saturated base colour modulated by a per-object pattern."""
    base = hsv_to_rgb(hue, rng.uniform(0.65, 0.95), rng.uniform(0.75, 1.0))
    alt = hsv_to_rgb((hue + rng.uniform(0.04, 0.1)) % 1.0, rng.uniform(0.3, 0.6), rng.uniform(0.35, 0.6))
    yy, xx = np.mgrid[0:p, 0:p].astype(np.float32)
    kind = rng.integers(3)
    period = rng.uniform(0.06, 0.14) * p
    if kind == 0:  # stripes at a random angle
        a = rng.uniform(0, math.pi)
        u = xx * math.cos(a) + yy * math.sin(a)
        w = (np.sin(2 * math.pi * u / period) > 0).astype(np.float32)
    elif kind == 1:  # checks
        w = ((np.floor(xx / period) + np.floor(yy / period)) % 2).astype(np.float32)
    else:  # dots
        w = ((np.sin(2 * math.pi * xx / period) * np.sin(2 * math.pi * yy / period)) > 0.5).astype(np.float32)
    w = cv2.GaussianBlur(w, (0, 0), max(0.6, period * 0.05))[..., None] * rng.uniform(0.35, 0.6)
    tex = base * (1 - w) + alt * w
    return np.clip(tex + rng.normal(0, 4, size=tex.shape), 0, 255).astype(np.uint8)


def background(rng: np.random.Generator, h: int, w: int, margin: int) -> np.ndarray:
    """A (h + 2m, w + 2m, 3) muted, low-frequency textured background (the camera pans over it)."""
    hh, ww = h + 2 * margin, w + 2 * margin
    hue = rng.uniform(0, 1)
    coarse = rng.uniform(0, 1, size=(5, 6, 1)).astype(np.float32)
    low = cv2.resize(coarse, (ww, hh), interpolation=cv2.INTER_CUBIC)[..., None]
    fine = cv2.GaussianBlur(rng.normal(0, 1, size=(hh, ww)).astype(np.float32), (0, 0), 2.0)[..., None]
    c1 = hsv_to_rgb(hue, rng.uniform(0.15, 0.35), rng.uniform(0.25, 0.4))
    c2 = hsv_to_rgb((hue + 0.08) % 1, rng.uniform(0.15, 0.35), rng.uniform(0.45, 0.6))
    bg = c1 * (1 - low) + c2 * low + fine * 12
    return np.clip(bg, 0, 255).astype(np.uint8)


def make_objects(
    rng: np.random.Generator, h: int, w: int, num_objects: int, categories: list[int], num_frames: int
) -> list[SceneObject]:
    """``num_objects`` objects with the given categories, distinct hues and random motion (the last
    one flies through the frame, entering / leaving, in videos of >= 8 frames with probability 0.6)."""
    s = min(h, w)
    p = max(32, int(0.6 * max(h, w)))
    hue0 = rng.uniform(0, 1)
    z = rng.permutation(num_objects)
    objs = []
    for i, cat in enumerate(categories):
        fly = i == num_objects - 1 and num_objects > 1 and rng.random() < 0.6 and num_frames >= 8
        center = rng.uniform(0.25, 0.75, size=2) * (w, h)
        speed = rng.uniform(0.004, 0.012) * s
        direction = rng.uniform(0, 2 * math.pi)
        vel = speed * np.array([math.cos(direction), math.sin(direction)])
        if fly:  # start just outside a side, cross the frame in ~1.5 clips' time
            side = rng.integers(4)
            size_ = np.array([w, h], dtype=np.float64)
            axis = side % 2
            center[axis] = -0.25 * size_[axis] if side < 2 else 1.25 * size_[axis]
            vel = np.zeros(2)
            vel[axis] = (1 if side < 2 else -1) * rng.uniform(0.03, 0.06) * size_[axis]
            vel[1 - axis] = rng.uniform(-0.005, 0.005) * size_[1 - axis]
        radius = {1: rng.uniform(0.14, 0.2), 2: rng.uniform(0.15, 0.22), 3: rng.uniform(0.05, 0.07)}[cat] * s
        params: dict = {}
        if cat == 1:
            params["ratio"] = rng.uniform(0.55, 0.9)
        elif cat == 2:
            k = int(rng.integers(5, 8))
            params["angles"] = np.linspace(0, 2 * math.pi, k, endpoint=False) + rng.uniform(-0.3, 0.3, size=k)
            params["radii"] = rng.uniform(0.7, 1.15, size=k)
        else:
            params["jaw"] = rng.uniform(0.25, 0.35) * s
            params["shaft"] = 2.0 * math.hypot(h, w)
        objs.append(
            SceneObject(
                track_id=i + 1, category=cat, z=int(z[i]),
                texture=_texture(rng, p, (hue0 + i / num_objects) % 1.0),
                center0=center, velocity=vel, wobble=rng.uniform(0.01, 0.04, size=2) * s,
                phase=rng.uniform(0, 2 * math.pi), omega=rng.uniform(0.15, 0.35),
                angle0=rng.uniform(0, 360), spin=rng.uniform(-4, 4), size=radius, bounce=not fly, params=params,
            )
        )
    return objs


def _reflect(x: float, lo: float, hi: float) -> float:
    """Triangle-wave fold of ``x`` into [lo, hi] (bouncing motion)."""
    span = hi - lo
    r = (x - lo) % (2 * span)
    return lo + (r if r <= span else 2 * span - r)


def pose(o: SceneObject, t: int, h: int, w: int) -> tuple[np.ndarray, float]:
    """Centre (x, y) and angle (degrees) of ``o`` at frame ``t``."""
    c = o.center0 + o.velocity * t + o.wobble * np.sin(o.omega * t + o.phase + np.array([0.0, 1.3]))
    if o.bounce:
        m = 0.12 * min(h, w)
        c = np.array([_reflect(c[0], m, w - m), _reflect(c[1], m, h - m)])
    return c, o.angle0 + o.spin * t


def shape_mask(o: SceneObject, t: int, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """(H, W) uint8 mask of the whole object at ``t`` and the (2, 3) object -> frame affine matrix."""
    c, ang = pose(o, t, h, w)
    m = np.zeros((h, w), dtype=np.uint8)
    wob = math.sin(o.omega * t * 1.3 + o.phase)
    a = math.radians(ang)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    p = o.texture.shape[0]
    mat = np.concatenate([rot, (c - rot @ np.array([p / 2, p / 2]))[:, None]], axis=1)

    def draw(pts: np.ndarray) -> None:  # pts (K, 2) in object coordinates centred at 0
        xy = pts @ rot.T + c
        cv2.fillPoly(m, [np.round(xy * 16).astype(np.int32)], 1, lineType=cv2.LINE_8, shift=4)

    if o.category == 1:
        ax = o.size * (1 + 0.15 * wob)
        ay = o.size * o.params["ratio"] * (1 - 0.12 * wob)
        cv2.ellipse(m, (round(c[0] * 16), round(c[1] * 16)), (round(ax * 16), round(ay * 16)), ang, 0, 360, 1, -1,
                    lineType=cv2.LINE_8, shift=4)
    elif o.category == 2:
        k = len(o.params["angles"])
        r = o.size * o.params["radii"] * (1 + 0.12 * np.sin(o.omega * t + np.arange(k)))
        draw(np.stack([r * np.cos(o.params["angles"]), r * np.sin(o.params["angles"])], axis=1))
    else:
        hw, jaw = o.size, o.params["jaw"]
        draw(np.array([[0, -hw], [0, hw], [-o.params["shaft"], hw], [-o.params["shaft"], -hw]]))  # shaft
        open_ = 0.35 + 0.3 * (wob + 1) / 2  # jaw opening angle (rad), the deformation
        for sgn in (-1, 1):
            ca, sa = math.cos(sgn * open_), math.sin(sgn * open_)
            jaw_pts = np.array([[0, -0.6 * hw], [jaw, -0.25 * hw], [jaw, 0.25 * hw], [0, 0.6 * hw]])
            jaw_pts = jaw_pts @ np.array([[ca, -sa], [sa, ca]]).T + (0, sgn * 0.4 * hw)
            draw(jaw_pts)
    return m, mat


def render_video(
    rng: np.random.Generator, num_frames: int, h: int, w: int, num_objects: int, num_categories: int = 3
) -> tuple[np.ndarray, np.ndarray, dict[int, int]]:
    """Render one video: frames (T, H, W, 3) uint8 RGB, labels (T, H, W) uint8 track ids (0 = background),
    and track id -> category. Each video holds every category when ``num_objects >= num_categories``."""
    cats = [1 + i % num_categories for i in range(num_objects)]
    cats = [int(c) for c in rng.permutation(cats)]
    objs = make_objects(rng, h, w, num_objects, cats, num_frames)
    margin = max(4, int(0.1 * min(h, w)))
    bg = background(rng, h, w, margin)
    pan0, pan_v = rng.uniform(0, 2 * margin, size=2), rng.uniform(-0.6, 0.6, size=2)
    frames = np.empty((num_frames, h, w, 3), dtype=np.uint8)
    labels = np.zeros((num_frames, h, w), dtype=np.uint8)
    for t in range(num_frames):
        ox, oy = (int(_reflect(pan0[i] + pan_v[i] * t, 0, 2 * margin)) for i in range(2))
        frame = bg[oy : oy + h, ox : ox + w].copy()
        lab = labels[t]
        for o in sorted(objs, key=lambda o: o.z):
            m, mat = shape_mask(o, t, h, w)
            sel = m.astype(bool)
            if not sel.any():
                continue
            tex = cv2.warpAffine(o.texture, mat, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
            frame[sel] = tex[sel]
            lab[sel] = o.track_id
        frames[t] = frame
    return frames, labels, {o.track_id: o.category for o in objs}
