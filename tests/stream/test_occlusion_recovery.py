"""Auto-prompting recovers an object after a full occlusion where plain memory propagation loses it.

The debug SAM2 is fitted first on the occlusion scenes themselves (sam2_video.stream.occlusion_data:
24 scenes with their own seeds, not the test's; point / box / mask prompts with correction clicks;
``SAM2_VIDEO_RECOVERY_TRAIN_MINUTES``, default 40, on 1 thread), unless
``SAM2_VIDEO_RECOVERY_CHECKPOINT`` names weights (official .pt or Lightning .ckpt). Asserted in
order: plain propagation tracks the object before the occluder arrives, the model answers the
re-prompt's box + point on the object alone (``check_prompt_response``), and auto-prompting's IoU
after the occlusion beats plain propagation's by 0.2.

NOT DEMONSTRATED YET (hence ``xfail``, not strict: the assertions are the real claim and pass as
XPASS once weights good enough are given). Measured (docs/benchmarks.md, "Streaming"): CPU fits of
up to ~800 steps learn a class-agnostic foreground segmenter whose output does not change at all
with the box given (IoU of a box + point on the object 0.40, 55 % of its mask on the occluder);
after ~3,050 steps it starts to answer prompts (IoU 0.69, 27 % on the occluder) and auto-prompting
(hold 20) gains +0.045 IoU after the occlusion over plain propagation (0.424 vs 0.379), far from
the +0.2 asserted; plain propagation itself tracks poorly (IoU before 0.49: object + occluder).
After ~4,300 steps (a further 13-minute fit) the model tracks (IoU before 0.785, prompt answer
0.858) and plain propagation recovers by itself (IoU after 0.740), while auto-prompting is worse
(0.632, hold 20): re-prompts given while the object is hidden become conditioning memory. So the
claim needs a scene where plain memory really loses the object and a re-prompt that is not
written to conditioning memory unless it is the object; the assertions stay as the claim.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]
# the fitted model of the test and of docs/benchmarks.md's runs: the debug SAM2 fitted on the occlusion
# scenes themselves (sam2_video.stream.occlusion_data), point / box / mask first-frame prompts with
# correction clicks (so that it learns to answer the re-prompt's box + point), time-capped
TRAIN = ["experiment=demo", "data=davis", "data.synthetic=null", "data.clip_stride=4", "data.num_workers=0",
         "prompt.train.mix={point: 0.25, box: 0.5, mask: 0.25, auto: 0.0}", "trainer.max_epochs=12",
         "validate_before_training=false", "evaluate_after_training=false", "logger=none"]
TRAIN_MINUTES = int(os.environ.get("SAM2_VIDEO_RECOVERY_TRAIN_MINUTES", "40"))


@pytest.fixture(scope="module")
def fitted_model(tmp_path_factory):
    from sam2_video.config import compose_config
    from sam2_video.model.builder import build_sam2_model
    from sam2_video.stream.occlusion_data import write_occlusion_dataset

    ckpt = os.environ.get("SAM2_VIDEO_RECOVERY_CHECKPOINT")
    if not ckpt:
        root = tmp_path_factory.mktemp("recovery")
        data = write_occlusion_dataset(root / "occlusion", num_videos=24)
        hours, minutes = divmod(TRAIN_MINUTES, 60)
        out = subprocess.run([sys.executable, "train.py", *TRAIN, f"data.root={data}",
                              f"trainer.max_time=00:{hours:02d}:{minutes:02d}:00",
                              f"paths.root_dir={root}", f"output_dir={root / 'run'}"],
                             cwd=REPO, capture_output=True, text=True, timeout=TRAIN_MINUTES * 60 + 600,
                             env={**os.environ, "OMP_NUM_THREADS": "1"})
        assert out.returncode == 0, out.stderr[-2000:]
        ckpt = str(root / "run" / "checkpoints" / "last.ckpt")  # the last weights answer prompts best, not the best val J&F
    cfg = compose_config(["experiment=demo", f"model.checkpoint_path={ckpt}"])
    torch.manual_seed(0)
    return build_sam2_model(cfg.model).eval()


@pytest.mark.slow
@pytest.mark.xfail(reason="not demonstrated: weak fits ignore prompts; a fit that tracks recovers without re-prompts (module doc)", strict=False)
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
