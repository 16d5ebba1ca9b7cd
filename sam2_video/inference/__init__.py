"""The inference core: the only place that touches SAM2Base's private API.

- :class:`TrackingSession` (session.py): one video, frame by frame: prompts, steps, memory writes.
- :class:`MemoryPolicy` (memory.py): when memory is written and how much is kept.
- :class:`FrameGeometry` (geometry.py): frame <-> model input, prompts, logits.
- :class:`SingleFrameSAM` (single_frame.py): SAM2 on one image with point / box prompts, no memory
  (what Meta's ``SAM2ImagePredictor`` does; used for the refiner's offline priors).
"""

from sam2_video.inference.geometry import GEOMETRY_MODES, FrameGeometry
from sam2_video.inference.memory import MemoryBank, MemoryPolicy
from sam2_video.inference.session import FrameFeatures, StepOutput, TrackingSession
from sam2_video.inference.single_frame import SingleFrameSAM

__all__ = ["TrackingSession", "StepOutput", "FrameFeatures", "MemoryPolicy", "MemoryBank", "FrameGeometry",
           "GEOMETRY_MODES", "SingleFrameSAM"]
