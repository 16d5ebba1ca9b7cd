"""Streaming (seed 004): ``python -m sam2_video.stream`` (the pipeline, deployed chain), QA sets, sweeps, recovery."""
