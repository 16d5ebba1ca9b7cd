"""PromptSpec: one typed object for the prompt config group (rules, kind mix, per-object draws)."""

from __future__ import annotations

import numpy as np
import pytest

from sam2_video.config import build, compose_config
from sam2_video.errors import ConfigError
from sam2_video.prompt import PROMPT_KINDS, FramePrompt, PromptSpec, TrainPrompting, kind_probabilities


def _disc(h: int = 48, w: int = 64, cy: int = 20, cx: int = 30, r: int = 9) -> np.ndarray:
    yy, xx = np.mgrid[:h, :w]
    return (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r


def test_config_group_builds_the_spec_with_the_run_seed():
    cfg = compose_config(["sam2=debug", "seed=7", "prompt.kind=box", "prompt.train.mix.auto=1.0"])
    spec = build(cfg.prompt)
    assert isinstance(spec, PromptSpec) and isinstance(spec.train, TrainPrompting)
    assert spec.kind == "box" and spec.seed == 7 and spec.train.mix["auto"] == 1.0
    assert PromptSpec.from_config(dict(cfg.prompt)) == spec


@pytest.mark.parametrize("values, key", [
    ({"kind": "lasso"}, "prompt.kind"),
    ({"kind": "point", "num_pos_points": 0, "include_center": False}, "prompt.num_pos_points"),
    ({"neg_region": "moon"}, "prompt.neg_region"),
    ({"box_jitter": 2.0}, "prompt.box_jitter"),
    ({"train": {"mix": {"scribble": 1.0}}}, "prompt.train.mix"),
    ({"train": {"mix": {"point": 0.0, "mask": 0.0}}}, "prompt.train.mix"),
    ({"train": {"num_init_cond_frames": 3, "num_frames_to_correct": 2}}, "prompt.train.num_frames_to_correct"),
    ({"color": "red"}, "prompt: unknown key"),
])
def test_bad_values_name_the_key(values, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        PromptSpec.from_config(values)


def test_kind_mix_becomes_sam2train_probabilities():
    p = kind_probabilities({"point": 1, "box": 3, "mask": 2, "auto": 2})
    assert (p.point_or_box, p.box, p.auto) == pytest.approx((0.5, 0.75, 0.25))
    kwargs = TrainPrompting(mix={"box": 1.0}, num_init_cond_frames=1, num_frames_to_correct=3).sam2train_kwargs()
    assert kwargs["prob_to_use_pt_input_for_train"] == 1.0 and kwargs["prob_to_use_box_input_for_train"] == 1.0
    assert kwargs["num_init_cond_frames_for_train"] == 1 and kwargs["num_frames_to_correct_for_train"] == 3
    assert set(PROMPT_KINDS) >= {"auto"}


@pytest.mark.parametrize("kind", ["point", "box", "mask", "auto"])
def test_frame_prompt_of_each_kind(kind):
    mask = _disc()
    spec = PromptSpec(kind=kind, num_pos_points=2, num_neg_points=1, box_jitter=0.2)
    p = spec.frame_prompt(mask, "vid", 3, 5)
    assert isinstance(p, FramePrompt) and p.kind == kind
    if kind == "point":
        assert p.labels.tolist() == [1, 1, 1, 0]  # centre + 2 positives + 1 negative
        assert all(mask[int(y), int(x)] for (x, y), lab in zip(p.points, p.labels) if lab == 1)
    if kind == "box":
        tight = np.array([21, 11, 39, 29], dtype=np.float32)
        assert not np.array_equal(p.box, tight) and np.abs(p.box - tight).max() <= 0.2 * 18 + 1e-4
    if kind == "auto":
        assert p.points is None and p.box is None and p.mask is None
    empty = spec.frame_prompt(np.zeros_like(mask), "vid", 3, 5)
    assert empty.kind == ("auto" if kind == "auto" else "mask")


def test_draws_depend_on_video_object_frame_and_seed_only():
    mask, spec = _disc(), PromptSpec(kind="point", num_pos_points=3)
    a = spec.frame_prompt(mask, "v", 1, 0)
    assert np.array_equal(a.points, spec.frame_prompt(mask, "v", 1, 0).points)
    for other in (spec.frame_prompt(mask, "w", 1, 0), spec.frame_prompt(mask, "v", 2, 0),
                  spec.frame_prompt(mask, "v", 1, 4), PromptSpec(kind="point", num_pos_points=3, seed=1)
                  .frame_prompt(mask, "v", 1, 0)):
        assert not np.array_equal(a.points[1:], other.points[1:])  # row 0 is the (fixed) centre


def test_clip_prompts_equal_the_evaluation_prompts():
    """Validation clips and the evaluation draw the same clicks / box for (video, object, frame)."""
    masks = np.stack([_disc(), _disc(cy=30, cx=45, r=6)])
    for kind in ("point", "box"):
        spec = PromptSpec(kind=kind, num_pos_points=2, num_neg_points=2, box_jitter=0.15)
        coords, labels, boxes = spec.clip_prompts(masks, "vid", [4, 9], [2, 6])
        for i, (oid, frame) in enumerate([(4, 2), (9, 6)]):
            ref = spec.frame_prompt(masks[i], "vid", oid, frame)
            if kind == "box":
                np.testing.assert_array_equal(boxes[i], ref.box)
            else:
                keep = labels[i] >= 0
                np.testing.assert_array_equal(coords[i][keep], ref.points)
                np.testing.assert_array_equal(labels[i][keep], ref.labels)
