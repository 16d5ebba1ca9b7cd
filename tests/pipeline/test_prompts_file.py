"""The one prompts-file format: written by the evaluation, read by predict.py and the stream; coordinates
checked against the frame size (one line naming the file, frame and object; nothing written)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from sam2_video.errors import DatasetError
from sam2_video.pipeline.prompts_file import read_prompts_file, write_prompts_file
from sam2_video.prompt import FramePrompt
from tests.conftest import shapes_video



def test_written_file_reads_back_the_same_prompts(tmp_path):
    mask = np.zeros((20, 30), bool)
    mask[5:9, 7:12] = True
    frames = {0: {1: FramePrompt("box", box=np.array([1, 2, 10, 12], np.float32)),
                  2: FramePrompt("point", points=np.array([[3, 4], [8, 9]], np.float32), labels=np.array([1, 0]))},
              4: {3: FramePrompt("mask", mask=mask), 5: FramePrompt("auto", category=7)}}
    path = write_prompts_file(tmp_path / "v.json", frames, (20, 30), {1: 1, 2: 1, 3: 2, 5: 7}, video="v")
    back = read_prompts_file(path)
    assert back.size == (20, 30) and back.object_ids == [1, 2, 3, 5] and back.category_of()[5] == 7
    assert np.array_equal(back.frames[0][1].box, frames[0][1].box)
    assert np.array_equal(back.frames[0][2].labels, [1, 0]) and back.frames[0][2].kind == "point"
    assert np.array_equal(back.frames[4][3].mask, mask)
    assert back.frames[4][5].kind == "auto" and back.frames[4][5].category == 7


@pytest.mark.parametrize("doc", [{"0": {"1": {"box": [1, 1, 5, 5]}}},  # frames at the top (older predict files)
                                 {"frame": 0, "objects": {"1": {"box": [1, 1, 5, 5]}}}])  # older stream files
def test_older_shapes_are_read(tmp_path, doc):
    (tmp_path / "p.json").write_text(json.dumps(doc))
    assert read_prompts_file(tmp_path / "p.json").frames[0][1].kind == "box"


@pytest.mark.parametrize("entry,why", [({"box": [640, 640, 1280, 1280]}, "not inside the frame"),
                                       ({"box": [20, 20, 10, 30]}, "inverted"),
                                       ({"points": [[10, 99]]}, "outside the frame"),
                                       ({"box": [1, 2, "x", 4]}, "could not convert|box"),
                                       ({"points": [[1, 2]], "labels": [1, 1]}, "labels")])
def test_bad_entries_are_one_line_naming_file_frame_and_object(tmp_path, entry, why):
    (tmp_path / "p.json").write_text(json.dumps({"frames": {"2": {"3": entry}}}))
    with pytest.raises(DatasetError, match=why) as err:
        read_prompts_file(tmp_path / "p.json").check_frame_size(64, 80, "video")
    msg = str(err.value)
    assert "p.json" in msg and "frame" in msg and "3" in msg and "\n" not in msg


def test_predict_refuses_a_box_outside_the_frame_and_writes_nothing(tmp_path, run_cli):
    frames, _ = shapes_video(4, 64, 64)
    (tmp_path / "f").mkdir()
    for t, img in enumerate(frames):
        Image.fromarray(img).save(tmp_path / "f" / f"{t}.jpg")
    (tmp_path / "p.json").write_text(json.dumps({"0": {"1": {"box": [640, 640, 1280, 1280]}}}))
    out = tmp_path / "out"
    r = run_cli("predict.py", "sam2=debug", f"predict.input={tmp_path / 'f'}", f"predict.prompts={tmp_path / 'p.json'}",
                f"output_dir={out}")
    errors = [ln for ln in r.stderr.splitlines() if "ERROR" in ln]
    assert r.returncode == 2 and len(errors) == 1, r.stderr[-2000:]
    assert "p.json frame 0 object 1" in errors[0] and "not inside the frame" in errors[0]
    assert not out.exists() or not any(out.iterdir())
