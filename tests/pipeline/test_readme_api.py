"""The README's Python example runs as written (in a folder holding the files it names) and gives the
masks predict.py writes for the same run, video and prompts file."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import numpy as np
from omegaconf import OmegaConf
from PIL import Image

from sam2_video.config import compose_config
from sam2_video.video.writer import OverlayVideoWriter
from tests.conftest import make_debug_model, shapes_video
from tests.pipeline.test_checkpoint_everywhere import _ckpt

README = Path(__file__).resolve().parents[2] / "README.md"


def _example() -> str:
    text = README.read_text()
    block = re.search(r"<!-- api-example -->\s*```python\n(.*?)```", text, re.S)
    assert block, "README.md lost its <!-- api-example --> python block"
    code = block.group(1)
    assert len(code.strip().splitlines()) <= 10
    return code


def test_readme_example_runs_and_equals_predict(tmp_path, monkeypatch):
    cfg = compose_config(["sam2=debug", "eval.encode_batch=1"])
    run = tmp_path / "outputs" / "my_run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=False).replace("${hydra:runtime.output_dir}", "."))
    _ckpt(cfg, make_debug_model(cfg), run / "checkpoints" / "best.ckpt")
    frames, masks = shapes_video(6, 64, 80)
    with OverlayVideoWriter(tmp_path / "case01.mp4", fps=5) as w:
        for f in frames:
            w.write_frame(f)
    (tmp_path / "prompts.json").write_text(json.dumps({"frames": {"0": {"1": {"box": [10, 10, 30, 30]},
                                                                        "2": {"points": [[50, 45]]}}}}))
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(_example(), "README.md", "exec"), {})  # noqa: S102 - the documented lines, verbatim
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 6 and lines[0].split()[1:3] == ["[1,", "2]"] and "(2, 64, 80)" in lines[0]

    from sam2_video.pipeline.api import load_run
    from sam2_video.predict.run import predict

    api = {f.name: f.masks for f in load_run("outputs/my_run").segment("case01.mp4", prompts="prompts.json")}
    predict(compose_config([f"model.checkpoint_path={run / 'checkpoints' / 'best.ckpt'}", "sam2=debug",
                            "eval.encode_batch=1", "predict.input=case01.mp4", "predict.prompts=prompts.json",
                            "predict.save_video=false", f"output_dir={tmp_path / 'pred'}"], config_name="predict"))
    for name, m in api.items():
        png = np.array(Image.open(tmp_path / "pred" / "masks" / "case01" / f"{name}.png"))
        assert np.array_equal(png == 1, m[0]) and np.array_equal(png == 2, m[1]), name
