"""Config validation, prompts, palettes, atomic streams, config location."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sam2_video.errors import ConfigError
from sam2_video.config import locate
from sam2_video.pipeline.planners.gt_prompts import EvalPromptFactory
from sam2_video.pipeline.eval_settings import EvalSettings
from sam2_video.prompt import PromptSpec
from sam2_video.metrics.table_io import jsonable
from sam2_video.pipeline.sinks.staged import CocoResultsStream, CsvStream, label_map, palette_values


def test_settings_from_config_and_errors(debug_cfg):
    from omegaconf import OmegaConf

    s = EvalSettings.from_config(OmegaConf.to_container(debug_cfg.eval, resolve=True))
    assert s.threshold == 0.5 and not hasattr(s, "prompt_type")  # the prompt is the prompt group's PromptSpec
    assert s.threshold_grid()[0] == 0.05 and len(s.threshold_grid()) == 19
    with pytest.raises(ConfigError, match="eval: unknown key"):
        EvalSettings.from_config({"treshold": 0.4})
    for bad in ({"threshold": 1.0}, {"reprompt_every": -1}, {"geometry": "x"}, {"encode_batch": 0},
                {"encode_thread": "sometimes"}):
        with pytest.raises(ConfigError, match="eval\\."):
            EvalSettings.from_config(bad)
    with pytest.raises(ConfigError):
        EvalSettings(thresholds={"start": 0.5, "stop": 0.2, "step": 0.1}).threshold_grid()


def test_encode_thread_auto_leaves_the_worker_a_core_of_its_own(monkeypatch):
    import os
    import torch
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    auto = EvalSettings.from_config({"encode_thread": "auto"})
    monkeypatch.setattr(torch, "get_num_threads", lambda: 1)
    assert auto.encode_ahead(cpu) and auto.encode_ahead(cuda)
    monkeypatch.setattr(torch, "get_num_threads", lambda: 2)  # torch already uses every core: no worker on CPU
    assert not auto.encode_ahead(cpu) and auto.encode_ahead(cuda)
    monkeypatch.delattr(os, "sched_getaffinity")  # macOS has none: the CPU count is used
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    assert auto.encode_ahead(cpu)
    assert EvalSettings.from_config({"encode_thread": True}).encode_ahead(cpu)
    assert not EvalSettings.from_config({"encode_thread": False}).encode_ahead(cuda)


def test_prompt_factory_is_deterministic_and_typed():
    m = np.zeros((20, 30), bool)
    m[5:12, 8:20] = True
    pts = EvalPromptFactory(PromptSpec(kind="point", num_pos_points=2, num_neg_points=1, include_center=True, seed=3))
    a, b = pts(m, "v", 1, 0), pts(m, "v", 1, 0)
    np.testing.assert_array_equal(a.points, b.points)
    assert a.labels.tolist() == [1, 1, 1, 0]
    assert all(m[int(y), int(x)] for x, y in a.points[:3]) and not m[int(a.points[3, 1]), int(a.points[3, 0])]
    assert not np.array_equal(pts(m, "v", 2, 0).points[1:], a.points[1:])  # other object, other draw
    box = EvalPromptFactory(PromptSpec(kind="box"))(m, "v", 1, 0)
    assert box.box.tolist() == [8, 5, 19, 11]
    empty = pts(np.zeros_like(m), "v", 1, 5)
    assert empty.kind == "mask" and not empty.mask.any()
    with pytest.raises(ConfigError, match="prompt.kind='auto'"):  # planned by its own planner, not from the GT
        EvalPromptFactory(PromptSpec(kind="auto"))


def test_palette_and_label_map():
    assert palette_values([3, 1, 7]) == [3, 1, 7]
    assert palette_values([1000, 5]) == [2, 1]
    masks = np.zeros((2, 2, 2), bool)
    masks[0, 0, 0] = masks[1, 0, 0] = masks[1, 1, 1] = True
    assert label_map(masks, [4, 9]).tolist() == [[4, 0], [0, 9]]


def test_streams_are_atomic(tmp_path):
    csv = CsvStream(tmp_path / "a.csv", ["x", "y"])
    csv.write({"x": float("nan"), "y": 0.5})
    assert not (tmp_path / "a.csv").exists()
    csv.commit()
    assert (tmp_path / "a.csv").read_text().splitlines() == ["x,y", ",0.500000"]
    rle = CocoResultsStream(tmp_path / "r.json")
    m = np.zeros((4, 4), bool)
    m[1, 1] = True
    rle.write(m, 7, 2, 1.0, {"video_id": "v"})
    rle.write(np.zeros_like(m), 8, 2, 1.0, {})
    rle.abort()
    assert list(tmp_path.iterdir()) == [tmp_path / "a.csv"]
    rle = CocoResultsStream(tmp_path / "r.json")
    rle.write(m, 7, 2, 1.0, {"video_id": "v"})
    rle.commit()
    (entry,) = json.loads((tmp_path / "r.json").read_text())
    assert entry["image_id"] == 7 and entry["segmentation"]["size"] == [4, 4]
    assert jsonable({"a": np.float32("nan"), "b": np.int64(3)}) == {"a": None, "b": 3}


def test_locate_config(repo):
    root, name = locate(str(repo / "configs" / "sam2" / "debug.yaml"))
    assert root == repo / "configs" and name == "sam2/debug"
    assert locate("configs/eval/default.yaml")[1] == "eval/default"
    with pytest.raises(ConfigError):
        locate("combo/does/not/exist")


def test_planner_follows_the_prompt_spec(debug_model, synth_index):
    """The evaluation's prompt is the PromptSpec: its kind picks the planner (GT prompts or ``auto``)."""
    from sam2_video.pipeline.assemble import make_planner

    s = EvalSettings(reprompt_every=2)
    planner = make_planner(s, debug_model, synth_index, PromptSpec(kind="box", box_jitter=0.2))
    assert planner.factory.kind == "box" and planner.factory.spec.box_jitter == 0.2 and planner.reprompt_every == 2
    assert make_planner(s, debug_model, synth_index).factory.kind == "mask"  # no spec: PromptSpec's defaults
    with pytest.raises(ConfigError, match="prompt.kind=auto needs a prompt encoder"):  # the auto planner was asked
        make_planner(s, debug_model, synth_index, PromptSpec(kind="auto"))
