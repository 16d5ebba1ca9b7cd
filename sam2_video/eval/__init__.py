"""Full-video evaluation and threshold search: assemblies of ``sam2_video.pipeline``, and reports (docs/eval.md)."""
