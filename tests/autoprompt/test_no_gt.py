"""Prompt-free evaluation reads no ground truth to predict: labels removed or scrambled -> identical
predictions; every category is predicted on every frame."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from sam2_video.pipeline.planners.auto import AutoPlanner, AutoPromptSchedule
from sam2_video.eval.evaluate import load_index
from sam2_video.pipeline.chain import Chain
from sam2_video.pipeline.settings import StreamSettings
from sam2_video.pipeline.source import RecordSource


def _predict(planner, model, record):
    chain = Chain(model, StreamSettings(progress=False), memory_dtype=None)
    plan = planner.plan(record)

    def no_gt(t):
        raise AssertionError("the prompt-free planner read the ground truth")

    frames = chain.frames(RecordSource(record), planner.prompts(record, plan, no_gt), plan.num_frames)
    return plan, [(f.index, f.low_res.clone(), [o in f.object_ids for o in plan.track_ids], set(f.prompted))
                  for f in frames]


@pytest.mark.parametrize("schedule", [{"every": 0}, {"every": 3, "on_collapse": 0.9, "min_area": 1}])
def test_labels_removed_or_scrambled_give_identical_predictions(make_cfg, auto_model, monkeypatch, schedule):
    index = load_index(make_cfg(), "val")
    planner = AutoPlanner.for_model(auto_model, index, schedule)
    record = index.videos[0]
    plan, ref = _predict(planner, auto_model, record)
    assert plan.track_ids == [1, 2, 3] and len(ref) == plan.num_frames  # every category, every frame
    assert all(all(a) for _, _, a, _ in ref)
    prompted = [t for t, _, _, p in ref if p]
    assert prompted[0] == 0
    if schedule.get("every"):
        assert set(range(0, plan.num_frames, 3)) <= set(prompted)
    # labels removed: no objects, no categories; scrambled: track -> category permuted
    removed = dataclasses.replace(record, frames=[dataclasses.replace(f, objects={}) for f in record.frames],
                                  categories={})
    cats = list(record.categories.values())
    scrambled = dataclasses.replace(record, categories=dict(zip(record.categories, cats[1:] + cats[:1])))
    monkeypatch.setattr(type(record), "load_mask_stack", lambda *a, **k: pytest.fail("GT masks were decoded"))
    for other in (removed, scrambled):
        _, got = _predict(planner, auto_model, other)
        assert [(t, p) for t, _, _, p in got] == [(t, p) for t, _, _, p in ref]
        assert all(torch.equal(a, b) for (_, a, _, _), (_, b, _, _) in zip(ref, got))


def test_collapse_reprompts_and_bad_schedule(auto_model, make_cfg):
    from sam2_video.errors import ConfigError

    with pytest.raises(ConfigError, match="on_collapse"):
        AutoPromptSchedule.from_config({"on_collapse": 1.5})
    with pytest.raises(ConfigError, match="every"):
        AutoPromptSchedule.from_config({"every": -1})
    index = load_index(make_cfg(), "val")
    # a collapse threshold above 1 x the previous area would fire every frame; 0.999 fires on any shrink
    planner = AutoPlanner.for_model(auto_model, index, {"on_collapse": 0.999, "min_area": 1})
    _, preds = _predict(planner, auto_model, index.videos[0])
    areas = [int((low > 0).sum()) for _, low, _, _ in preds]
    prompted = {t for t, _, _, p in preds if p}
    shrank = {t + 1 for t in range(len(areas) - 1) if t not in prompted and 0 < areas[t] < areas[t - 1]}
    assert shrank <= prompted and prompted - {0} <= {t + 1 for t in range(len(areas))}


def test_dataset_category_missing_from_encoder_is_an_error(make_cfg):
    from sam2_video.errors import ConfigError
    from tests.autoprompt.conftest import auto_cfg, make_auto_model

    model = make_auto_model(auto_cfg("model.auto_prompt.category_ids=[1,2]"))
    with pytest.raises(ConfigError, match="3 categories"):
        AutoPlanner.for_model(model, load_index(make_cfg(), "val"), None)
