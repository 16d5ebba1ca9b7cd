"""Letterboxing to a fixed (H, W) and class oversampling."""

from __future__ import annotations

import numpy as np

from sam2_video.data.resize import PAD_RGB
from sam2_video.refiner.dataset import oversample_weights
from sam2_video.refiner.index import IndexRecord
from sam2_video.pipeline.letterbox import IGNORE, Letterbox
from tests.refiner.conftest import shapes


def test_letterbox_keeps_aspect_and_aligns_image_labels_and_maps():
    labels = shapes(60, 100, 4)
    image = np.zeros((60, 100, 3), np.uint8)
    image[labels == 1] = 200
    box = Letterbox.fit((60, 100), (64, 64))
    assert (box.new_h, box.new_w) == (38, 64)
    img, lab = box.image(image), box.labels(labels)
    assert img.shape == (64, 64, 3) and lab.shape == (64, 64)
    assert (lab[38:] == IGNORE).all() and (img[38:] == PAD_RGB).all() and (lab[:38] != IGNORE).all()
    assert ((img[:38, :, 0] > 100) == (lab[:38] == 1)).mean() > 0.95
    maps = box.place(np.ones((2, 38, 64), np.float32), -7.0)
    assert (maps[:, :38] == 1).all() and (maps[:, 38:] == -7).all()
    tall = Letterbox.fit((200, 50), (64, 96))
    assert (tall.new_h, tall.new_w) == (64, 16)


def test_rare_classes_are_oversampled():
    rec = lambda i, classes: IndexRecord(f"v/{i}", "", "", "v", i, classes, "train")  # noqa: E731
    records = [rec(i, (1,)) for i in range(9)] + [rec(9, (1, 2)), rec(10, ())]
    w = oversample_weights(records, 2, 0.5)
    assert w[9] > 2 * w[0] and np.isclose(w[0], w[1]) and w[10] == w.min() and (w > 0).all()
    assert np.allclose(oversample_weights(records, 2, 0.0)[:10], 1.0)
