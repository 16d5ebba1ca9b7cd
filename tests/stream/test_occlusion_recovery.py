"""Auto-prompting recovers an object after a full occlusion where plain memory propagation loses it.

The debug SAM2 is fitted first (``train.py experiment=demo`` with box prompts in the training mix, so
that the box + point re-prompts mean something; minutes on a CPU), unless
``SAM2_VIDEO_RECOVERY_CHECKPOINT`` names weights fitted that way. The occlusion scenes are drawn
by the synthetic dataset's generator (sam2_video.stream.scenarios), so the fitted model tracks the
object before the occluder arrives; that is asserted first, so the comparison means something.
Measured numbers: docs/streaming.md (bench/bench_stream_recovery.py).

NOT DEMONSTRATED YET (hence ``xfail``, not strict: the assertions are the real claim and pass as
XPASS once weights that answer prompts are given). Diagnosis (docs/streaming.md, "Limits"): every
CPU fit of the debug SAM2 from random weights so far (349 steps on the demo data; up to 822 steps on
the occlusion scenes themselves, sam2_video.stream.occlusion_data) learned a class-agnostic
foreground segmenter: given the auto-prompt's box + point on the object alone, it returns the object
AND the occluder next to it (IoU 0.40, 55 % of the predicted pixels on the occluder;
``check_prompt_response``), so neither plain tracking nor re-prompting can keep the two apart.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]
# the fitted model of the test and of docs/streaming.md's command (time-capped: the cosine schedule is cut short)
TRAIN = ["experiment=demo", "prompt.train.mix={point: 0.0, box: 0.5, mask: 0.5, auto: 0.0}", "trainer.max_epochs=2",
         "validate_before_training=false", "evaluate_after_training=false", "logger=none"]
TRAIN_MINUTES = int(os.environ.get("SAM2_VIDEO_RECOVERY_TRAIN_MINUTES", "12"))


@pytest.fixture(scope="module")
def fitted_model(tmp_path_factory):
    from sam2_video.config import compose_config
    from sam2_video.model.builder import build_sam2_model

    ckpt = os.environ.get("SAM2_VIDEO_RECOVERY_CHECKPOINT")
    if not ckpt:
        root = tmp_path_factory.mktemp("recovery")
        out = subprocess.run([sys.executable, "train.py", *TRAIN, f"trainer.max_time=00:00:{TRAIN_MINUTES:02d}:00",
                              f"paths.root_dir={root}", f"output_dir={root / 'run'}"],
                             cwd=REPO, capture_output=True, text=True, timeout=TRAIN_MINUTES * 60 + 600)
        assert out.returncode == 0, out.stderr[-2000:]
        ckpt = str(root / "run" / "checkpoints" / "model_official.pt")
    cfg = compose_config(["experiment=demo", f"model.checkpoint_path={ckpt}"])
    torch.manual_seed(0)
    return build_sam2_model(cfg.model).eval()


@pytest.mark.slow
@pytest.mark.xfail(reason="CPU-fitted debug SAM2 segments all foreground, ignores box / point prompts (module docstring)", strict=False)
@pytest.mark.parametrize("seed", [0, 1])
def test_autoprompt_recovers_the_object_after_a_full_occlusion(fitted_model, seed):
    from sam2_video.stream.recovery import check_prompt_response, track_through_occlusion
    from sam2_video.stream.scenarios import occlusion_video

    torch.set_num_threads(1)
    video = occlusion_video(seed=seed)
    answer = check_prompt_response(fitted_model, video)
    print(f"seed {seed}: box + point on the object alone: {answer}")
    plain = track_through_occlusion(fitted_model, video)
    auto = track_through_occlusion(fitted_model, video, autoprompt_every=1, autoprompt_hold=20)
    print(f"seed {seed}: plain {plain}\nauto {auto}")
    assert plain.iou_before > 0.5, f"plain propagation does not track before the occlusion: {plain.iou_before:.3f}"
    assert auto.iou_before > 0.5
    assert answer.iou > 0.7, f"the model does not answer box + point prompts (IoU {answer.iou:.3f}, " \
        f"{answer.on_occluder:.0%} of its mask on the occluder): re-prompting cannot recover anything"
    assert auto.iou_after > plain.iou_after + 0.2, f"auto-prompt {auto.iou_after:.3f} vs plain {plain.iou_after:.3f}"
