"""Full-video evaluation, an assembly of the pipeline (docs/eval.md).

- :mod:`~sam2_video.eval.evaluate` (``baseline_eval.py``) and :mod:`~sam2_video.eval.threshold`
  (``grid_search_threshold.py``) assemble ``sam2_video.pipeline`` (source, planner, chain, scorer, sinks);
- :mod:`~sam2_video.eval.report`: report.md and its charts.
Metrics live in ``sam2_video.metrics``; the frame loop in ``sam2_video.pipeline``.
"""
