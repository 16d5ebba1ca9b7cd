"""Moved: the fan-out of baseline_eval.py over configs is ``sam2_video.runs.batch`` (not evaluation)."""

from sam2_video.runs.batch import BatchJob, discover, run_batch, write_summary  # noqa: F401
