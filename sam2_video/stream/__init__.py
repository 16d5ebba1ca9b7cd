"""Frame-by-frame streaming inference (seed 004): sources, the runner loop, EMA, post-processing,
auto-prompting, QA flags, latency, outputs, the difficult-frames regression set and sweeps.

Imports downward only (inference, eval, video); nothing below imports this package.
"""

from sam2_video.stream.runner import STAGES, StreamFrame, StreamRunner
from sam2_video.stream.settings import StreamSettings

__all__ = ["StreamRunner", "StreamFrame", "StreamSettings", "STAGES"]
