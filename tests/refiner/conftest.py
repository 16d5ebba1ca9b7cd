"""Refiner test helpers: a plain image + mask folder, and a built work dir from the synthetic data."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest


def write_pair(images: Path, masks: Path, rel: str, labels: np.ndarray, seed: int = 0) -> None:
    """An RGB PNG (noise + class-coloured shapes) and its class-id mask at ``rel``."""
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 60, (*labels.shape, 3), dtype=np.uint8)
    img[labels == 1] += np.array([150, 20, 20], np.uint8)
    img[labels == 2] += np.array([20, 150, 20], np.uint8)
    for root, arr in ((images, img), (masks, labels)):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(root / f"{rel}.png"), arr if arr.ndim == 2 else cv2.cvtColor(arr, cv2.COLOR_RGB2BGR))


def shapes(h: int, w: int, seed: int) -> np.ndarray:
    """(h, w) uint8 class map: an ellipse of class 1 and a rectangle of class 2 at seeded places."""
    rng = np.random.default_rng(seed)
    lab = np.zeros((h, w), np.uint8)
    cx, cy = int(rng.integers(w // 4, 3 * w // 4)), int(rng.integers(h // 4, 3 * h // 4))
    cv2.ellipse(lab, (cx, cy), (int(rng.integers(6, w // 4)), int(rng.integers(6, h // 4))), 0, 0, 360, 1, -1)
    x0, y0 = int(rng.integers(0, w - 20)), int(rng.integers(0, h - 20))
    lab[y0 : y0 + int(rng.integers(8, 20)), x0 : x0 + int(rng.integers(8, 20))] = 2
    return lab


@pytest.fixture
def pair_folder(tmp_path) -> tuple[Path, Path]:
    """images/ + masks/ with 6 videos (sub-folders) x 3 frames of 48 x 64, classes {1, 2}."""
    images, masks = tmp_path / "images", tmp_path / "masks"
    for v in range(6):
        for f in range(3):
            write_pair(images, masks, f"case{v}/frame_{f:03d}", shapes(48, 64, 10 * v + f), seed=v * 10 + f)
    return images, masks
