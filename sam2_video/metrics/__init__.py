"""Segmentation metrics: per-frame scores, accumulators, summaries and their tables (no model, no loop)."""
