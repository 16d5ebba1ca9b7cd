"""predict.py on unlabeled videos (frames folder, .mp4), prompt-free or from a prompts JSON; bad input."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from sam2_video.config import compose_config
from sam2_video.errors import UserError
from sam2_video.model.checkpoint import save_official
from tests.conftest import shapes_video



@pytest.fixture(scope="module")
def exported(tmp_path_factory, auto_model):
    folder = tmp_path_factory.mktemp("ckpt")
    save_official(auto_model, folder / "model_official.pt")
    return folder / "model_official.pt"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("unlabeled")
    frames, _ = shapes_video(t_len=5)
    (root / "frames").mkdir()
    for t, f in enumerate(frames):
        Image.fromarray(f).save(root / "frames" / f"img_{t:03d}.jpg", quality=95)
    with av.open(str(root / "clip.mp4"), "w") as c:
        s = c.add_stream("libx264", rate=5)
        s.width, s.height, s.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
        for f in frames:
            for pkt in s.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                c.mux(pkt)
        for pkt in s.encode():
            c.mux(pkt)
    (root / "empty").mkdir()
    return root


def _cfg(out, ckpt, *extra):
    return compose_config(["sam2=debug", "model.auto_prompt.enabled=true", "model.auto_prompt.encoder.hidden=16",
                           f"model.checkpoint_path={ckpt}", f"output_dir={out}", "eval.memory_dtype=float32",
                           *extra], config_name="predict")


@pytest.mark.parametrize("source,names", [("frames", "img_000"), ("clip.mp4", "00000")])
def test_prompt_free_on_unlabeled_video(tmp_path, inputs, exported, source, names):
    from sam2_video.predict.run import predict

    s = predict(_cfg(tmp_path / "out", exported, f"predict.input={inputs / source}"))
    vid = Path(source).stem
    pngs = sorted((tmp_path / "out" / "masks" / vid).glob("*.png"))
    assert len(pngs) == 5 and pngs[0].stem == names and s["object_ids"] == [1, 2, 3]
    labels = np.array(Image.open(pngs[0]))
    assert set(np.unique(labels).tolist()) <= {0, 1, 2, 3} and labels.any()
    coco = json.loads((tmp_path / "out" / "results_coco.json").read_text())
    assert coco and {a["category_id"] for a in coco} <= {1, 2, 3} and "counts" in coco[0]["segmentation"]
    with av.open(str(tmp_path / "out" / "videos" / f"{vid}.mp4")) as c:
        assert sum(1 for _ in c.decode(video=0)) == 5
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["mode"] == "auto"


def test_prompted_from_json(tmp_path, inputs, exported):
    from sam2_video.predict.run import predict

    Image.fromarray((np.arange(72)[:, None] < 30).repeat(88, 1).astype(np.uint8) * 255).save(tmp_path / "m.png")
    (tmp_path / "p.json").write_text(json.dumps({"0": {"4": {"box": [5, 5, 40, 40]}, "9": {"points": [[60, 50]]}},
                                                 "2": {"5": {"mask": "m.png"}}}))
    s = predict(_cfg(tmp_path / "out", exported, f"predict.input={inputs / 'frames'}", f"predict.prompts={tmp_path / 'p.json'}"))
    assert s["object_ids"] == [4, 5, 9] and s["mode"] == "prompts"


@pytest.mark.parametrize("case", ["empty", "nonbinary", "missing_encoder", "categories"])
def test_bad_input_is_one_line_and_no_output(tmp_path, inputs, exported, case):
    from sam2_video.predict.run import predict

    extra = [f"predict.input={inputs / 'frames'}"]
    ckpt = exported
    if case == "empty":
        extra = [f"predict.input={inputs / 'empty'}"]
    elif case == "nonbinary":
        Image.fromarray((np.arange(88)[None] * 2).repeat(72, 0).astype(np.uint8)).save(tmp_path / "m.png")
        (tmp_path / "p.json").write_text(json.dumps({"0": {"1": {"mask": "m.png"}}}))
        extra.append(f"predict.prompts={tmp_path / 'p.json'}")
    elif case == "missing_encoder":
        ckpt = tmp_path / "model_official.pt"
        ckpt.write_bytes(exported.read_bytes())  # SAM2 file without its .auto_prompt.pt
    else:
        extra.append("model.auto_prompt.category_ids=[1,2]")
    with pytest.raises(UserError) as err:
        predict(_cfg(tmp_path / "out", ckpt, *extra))
    assert "\n" not in str(err.value)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_cli_exit_2_without_partial_output(tmp_path, inputs, run_cli):
    out = tmp_path / "out"
    r = run_cli("predict.py", "sam2=debug", "model.auto_prompt.enabled=true", f"predict.input={inputs / 'empty'}",
                f"output_dir={out}")
    assert r.returncode == 2, r.stderr[-2000:]
    errors = [ln for ln in r.stderr.splitlines() if "ERROR" in ln]
    assert len(errors) == 1 and "no frames" in errors[0]
    assert not (out / "masks").exists() and not (out / "summary.json").exists()
