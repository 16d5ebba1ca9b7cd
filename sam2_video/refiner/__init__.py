"""Refiner: a tiny network that turns image + offline SAM2 prior logits into a crisp class map (docs/refiner.md).

Offline half of seed 004: dataset index and splits (`index`, `sources`, `splits`), deterministic
prompts from ground truth (`prompts`), SAM2 prior generation (`priors`), the refiner (`model`),
its losses, triplet augmentation, data module, Lightning module, metrics, and ONNX export.
Imports only downward (sam2_video.data / model / eval / training); nothing below imports it.
"""
