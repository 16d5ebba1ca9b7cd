"""Planners: a video's objects and their prompts. ``PLANNERS`` (keyed by ``prompt.kind``): point / box /
mask from the GT (:mod:`.gt`), auto = the learned encoder (:mod:`.auto`); a new kind is one file with a
``factory(spec, settings, model, index)`` and one ``PLANNERS.register`` line. Prompts files: :mod:`.file`.
"""

from __future__ import annotations

from typing import Any

from sam2_video.pipeline.planners.auto import AutoPlanner
from sam2_video.pipeline.planners.gt import GtPlanner
from sam2_video.pipeline.planners.gt_prompts import EvalPromptFactory
from sam2_video.registry import Registry

PLANNERS = Registry("prompt.kind")


@PLANNERS.register("point", "box", "mask")
def gt_planner(spec, settings, model, index) -> GtPlanner:
    return GtPlanner(EvalPromptFactory(spec), settings.reprompt_every)


@PLANNERS.register("auto")
def auto_planner(spec, settings, model, index) -> AutoPlanner:
    return AutoPlanner.for_model(model, index, settings.auto_prompt)


def make_planner(settings, model, index, spec=None) -> Any:
    """The planner of ``spec.kind`` (``prompt.kind``; default :class:`PromptSpec`: mask) for a dataset index."""
    from sam2_video.prompt import PromptSpec

    spec = spec if spec is not None else PromptSpec()
    return PLANNERS.get(spec.kind)(spec, settings, model, index)
