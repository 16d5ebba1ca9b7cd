"""Full-video evaluation: one loop, pluggable outputs (docs/eval.md).

- entry points: :mod:`~sam2_video.eval.evaluate` (``baseline_eval.py``), :mod:`~sam2_video.eval.threshold`
  (``grid_search_threshold.py``); both build their parts with :mod:`~sam2_video.eval.setup`;
- the loop: :mod:`~sam2_video.eval.loop` (planner -> predictions -> scores -> outputs), planners and
  per-video plans in :mod:`~sam2_video.eval.runner`, outputs in :mod:`~sam2_video.eval.outputs`;
- scoring: :mod:`~sam2_video.metrics.metrics` (per mask), :mod:`~sam2_video.metrics.scoring` (many thresholds at
  once), :mod:`~sam2_video.metrics.endovis_metrics`, :mod:`~sam2_video.metrics.aggregate` (protocol, pooling),
  names in :mod:`~sam2_video.metrics.metric_names`;
- results: :mod:`~sam2_video.metrics.summary` (summary.json), :mod:`~sam2_video.metrics.tables`,
  :mod:`~sam2_video.eval.report`, staged files in :mod:`~sam2_video.pipeline.sinks.staged`.
"""
