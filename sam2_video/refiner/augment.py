"""Triplet augmentation: one geometric draw applied identically to image, prior and ground truth;
photometric changes on the image only (training only).

Geometric: horizontal flip, then one affine (rotation +-``rotate_deg``, scale = random zoom / crop,
translation), drawn by `sam2_video.data.augment.Augmentation.sample_affine`; image bilinear with
mean-colour border, prior bilinear with ``prior_fill`` border, class map nearest with ``IGNORE``
border. Photometric (image): brightness / contrast jitter, Gaussian noise, Gaussian blur.
"""

from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np

from sam2_video.data.augment import Augmentation
from sam2_video.data.resize import PAD_RGB
from sam2_video.pipeline.letterbox import IGNORE


class TripletAugment:
    """Random augmentation of an (image, prior, class map) triplet; every knob is ``refiner.augment.*``."""

    def __init__(
        self, hflip_p: float = 0.5, affine_p: float = 0.7, rotate_deg: float = 5.0, scale: Sequence[float] = (0.9, 1.2),
        translate: float = 0.05, jitter_p: float = 0.8, brightness: float = 0.2, contrast: float = 0.2,
        noise_p: float = 0.3, noise_std: float = 5.0, blur_p: float = 0.2, blur_sigma: Sequence[float] = (0.3, 1.2),
    ) -> None:
        self.hflip_p, self.affine_p = float(hflip_p), float(affine_p)
        self.geometry = Augmentation(rotate_deg=rotate_deg, shear_deg=0.0, translate=translate, scale=scale)
        self.jitter_p, self.brightness, self.contrast = float(jitter_p), float(brightness), float(contrast)
        self.noise_p, self.noise_std = float(noise_p), float(noise_std)
        self.blur_p, self.blur_sigma = float(blur_p), (float(blur_sigma[0]), float(blur_sigma[1]))

    def __call__(self, image: np.ndarray, prior: np.ndarray, labels: np.ndarray, rng: np.random.Generator,
                 prior_fill: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """image (H, W, 3) uint8, prior (C, H, W) float32, labels (H, W) uint8 -> augmented copies."""
        if rng.random() < self.hflip_p:
            image, prior, labels = image[:, ::-1], prior[:, :, ::-1], labels[:, ::-1]
        image, prior, labels = (np.ascontiguousarray(a) for a in (image, prior, labels))
        if rng.random() < self.affine_p:
            image, prior, labels = warp_triplet(image, prior, labels, self.geometry.sample_affine(labels.shape, rng),
                                                prior_fill)
        return self.photometric(image, rng), prior, labels

    def photometric(self, image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """(H, W, 3) uint8 -> jittered / noisy / blurred copy."""
        out = image.astype(np.float32)
        if rng.random() < self.jitter_p:
            b = rng.uniform(1 - self.brightness, 1 + self.brightness)
            c = rng.uniform(1 - self.contrast, 1 + self.contrast)
            out = (out - out.mean()) * c + out.mean() * b
        if rng.random() < self.noise_p:
            out = out + rng.normal(0.0, self.noise_std, out.shape).astype(np.float32)
        if rng.random() < self.blur_p:
            out = cv2.GaussianBlur(out, (0, 0), rng.uniform(*self.blur_sigma))
        return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def warp_triplet(image: np.ndarray, prior: np.ndarray, labels: np.ndarray, m: np.ndarray, prior_fill: float
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The (2, 3) affine ``m`` applied to all three (see the module docstring for filters / borders)."""
    h, w = labels.shape
    img = cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=PAD_RGB)
    pri = np.stack([cv2.warpAffine(p, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                                   borderValue=float(prior_fill)) for p in prior])
    lab = cv2.warpAffine(labels, m, (w, h), flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT, borderValue=IGNORE)
    return img, pri, lab
