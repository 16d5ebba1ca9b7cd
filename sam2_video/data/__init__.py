"""Data pipeline: video indexes, clip datasets, prompts, augmentation, synthetic data, DataModule (docs/data.md)."""
