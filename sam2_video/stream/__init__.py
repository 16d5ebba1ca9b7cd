"""Frame-by-frame streaming (seed 004): ``python -m sam2_video.stream``, an assembly of the pipeline
(``sam2_video.pipeline``) with the deployed chain (memory cadence, re-prompting, refiner, EMA,
post-processing, QA), plus the stream's own tools: the difficult-frames regression set, latency /
accuracy sweeps, generated occlusion scenes and their recovery scoring.
"""
