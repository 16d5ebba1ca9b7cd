"""Clip-consistent augmentation: one set of random parameters per clip, applied to every frame and,
for the geometric part, identically to the masks (nearest neighbour). Used in training only.

Order: horizontal / vertical flip, affine (rotation, shear, translation, scale: scale > 1 zooms in,
i.e. a random crop), colour jitter (brightness, contrast, saturation, hue), grayscale, Gaussian blur.
Works at the model resolution on (T, S, S, 3) uint8 frames and (T, N, S, S) bool masks.
"""

from __future__ import annotations

import math
from typing import Sequence

import cv2
import numpy as np

from sam2_video.data.mask_io import apply_packed
from sam2_video.data.resize import PAD_RGB


class Augmentation:
    """Random clip augmentation; every probability / range is a YAML knob (``data.augment.*``)."""

    def __init__(
        self,
        hflip_p: float = 0.5,
        vflip_p: float = 0.0,
        affine_p: float = 0.5,
        rotate_deg: float = 10.0,
        shear_deg: float = 5.0,
        translate: float = 0.05,
        scale: Sequence[float] = (0.9, 1.15),
        color_p: float = 0.8,
        brightness: float = 0.2,
        contrast: float = 0.2,
        saturation: float = 0.2,
        hue: float = 0.02,
        grayscale_p: float = 0.05,
        blur_p: float = 0.1,
        blur_sigma: Sequence[float] = (0.3, 1.2),
    ) -> None:
        self.hflip_p, self.vflip_p, self.affine_p = float(hflip_p), float(vflip_p), float(affine_p)
        self.rotate_deg, self.shear_deg, self.translate = float(rotate_deg), float(shear_deg), float(translate)
        self.scale = (float(scale[0]), float(scale[1]))
        self.color_p = float(color_p)
        self.brightness, self.contrast, self.saturation, self.hue = (
            float(brightness), float(contrast), float(saturation), float(hue)
        )
        self.grayscale_p, self.blur_p = float(grayscale_p), float(blur_p)
        self.blur_sigma = (float(blur_sigma[0]), float(blur_sigma[1]))

    def __repr__(self) -> str:
        keys = ("hflip_p", "affine_p", "rotate_deg", "scale", "color_p", "grayscale_p", "blur_p")
        return "Augmentation(" + ", ".join(f"{k}={getattr(self, k)}" for k in keys) + ")"

    def __call__(
        self, frames: np.ndarray, masks: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """frames (T, S, S, 3) uint8, masks (T, N, S, S) bool -> augmented copies of both."""
        if rng.random() < self.hflip_p:
            frames, masks = frames[:, :, ::-1], masks[..., ::-1]
        if rng.random() < self.vflip_p:
            frames, masks = frames[:, ::-1], masks[..., ::-1, :]
        frames, masks = np.ascontiguousarray(frames), np.ascontiguousarray(masks)
        if rng.random() < self.affine_p:
            m = self.sample_affine(frames.shape[1:3], rng)
            frames, masks = warp_clip(frames, masks, m)
        if rng.random() < self.color_p:
            frames = self._color(frames, rng)
        if rng.random() < self.grayscale_p:
            g = frames @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
            frames = np.repeat(np.clip(g + 0.5, 0, 255).astype(np.uint8)[..., None], 3, axis=-1)
        if rng.random() < self.blur_p:
            sigma = rng.uniform(*self.blur_sigma)
            frames = np.stack([cv2.GaussianBlur(f, (0, 0), sigma) for f in frames])
        return frames, masks

    def sample_affine(self, hw: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
        """A (2, 3) matrix: rotation / shear / scale about the centre, then translation."""
        h, w = hw
        angle = math.radians(rng.uniform(-self.rotate_deg, self.rotate_deg))
        shear = math.radians(rng.uniform(-self.shear_deg, self.shear_deg))
        s = math.exp(rng.uniform(math.log(self.scale[0]), math.log(self.scale[1])))
        tx, ty = rng.uniform(-self.translate, self.translate, size=2) * (w, h)
        cos, sin = math.cos(angle), math.sin(angle)
        rot = np.array([[cos, -sin], [sin, cos]])
        shr = np.array([[1.0, math.tan(shear)], [0.0, 1.0]])
        a = s * rot @ shr
        c = np.array([(w - 1) / 2.0, (h - 1) / 2.0])
        t = c + (tx, ty) - a @ c
        return np.concatenate([a, t[:, None]], axis=1)

    def _color(self, frames: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Brightness, contrast (about each frame's grey mean), saturation and hue (rotation about
        the grey axis) folded into one affine colour map per frame: one cv2.transform per frame."""
        b = rng.uniform(1 - self.brightness, 1 + self.brightness)
        c = rng.uniform(1 - self.contrast, 1 + self.contrast)
        s = rng.uniform(1 - self.saturation, 1 + self.saturation)
        a = 2 * math.pi * rng.uniform(-self.hue, self.hue)
        lum = np.array([0.299, 0.587, 0.114])
        sat = s * np.eye(3) + (1 - s) * np.outer(np.ones(3), lum)
        cos, sin, k = math.cos(a), math.sin(a), math.sqrt(1 / 3)
        d, e, f = cos + (1 - cos) / 3, (1 - cos) / 3 - k * sin, (1 - cos) / 3 + k * sin
        hue = np.array([[d, e, f], [f, d, e], [e, f, d]])
        mat = hue @ sat * (c * b)
        out = np.empty_like(frames)
        for i, frame in enumerate(frames):
            grey_mean = float(np.dot(cv2.mean(frame)[:3], lum))
            offset = (1 - c) * b * grey_mean  # grey-axis offset (preserved by the hue rotation)
            out[i] = cv2.transform(frame, np.concatenate([mat, np.full((3, 1), offset)], axis=1))
        return out


def warp_clip(frames: np.ndarray, masks: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Apply the (2, 3) affine ``m`` to (T, S, S, 3) frames (bilinear, mean-colour border) and
    (T, N, S, S) masks (nearest, empty border; up to 8 masks packed per warp)."""
    t, n, h, w = masks.shape
    out_f = np.empty_like(frames)
    out_m = np.zeros_like(masks)
    for i in range(t):
        out_f[i] = cv2.warpAffine(
            frames[i], m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=PAD_RGB
        )
        out_m[i] = apply_packed(masks[i].astype(bool), lambda bits: cv2.warpAffine(
            bits, m, (w, h), flags=cv2.INTER_NEAREST, borderValue=0))
    return out_f, out_m
