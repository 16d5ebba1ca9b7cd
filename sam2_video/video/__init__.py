"""Overlay videos: frames with masks and object ids written to .mp4 (used by evaluation and runners)."""
