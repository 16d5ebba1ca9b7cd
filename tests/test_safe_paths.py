"""Names from data files never make the project write outside its output folder."""

from __future__ import annotations

import numpy as np
import pytest

from sam2_video.errors import DatasetError
from sam2_video.pipeline.sinks.staged import MaskDir
from sam2_video.safe_paths import check_name, confined

HOSTILE = ["../x", "../../etc/passwd", "/abs/path", "a/../../b", "", "  ", "a\x00b", "C:\\evil", ".."]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_refused(tmp_path, name):
    with pytest.raises(DatasetError, match="video_id="):
        confined(tmp_path, name, key="video_id")


def test_ordinary_names_kept(tmp_path):
    assert confined(tmp_path, "seq_1", "00001.png") == tmp_path / "seq_1" / "00001.png"
    assert confined(tmp_path, "instrument_dataset_1/left") == tmp_path / "instrument_dataset_1" / "left"
    assert check_name("video..v2", "video_id") == "video..v2"  # dots inside a name are fine


def test_symlink_out_of_the_folder_refused(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "link").symlink_to(tmp_path)
    with pytest.raises(DatasetError, match="outside"):
        confined(tmp_path / "out", "link", "x.png", key="video_id")


@pytest.mark.parametrize("video_id", ["../escape", "/tmp/abs_escape", "v/../../escape"])
def test_mask_writer_confines_video_ids(tmp_path, video_id):
    out = tmp_path / "eval" / "masks"
    writer = MaskDir(out)
    with pytest.raises(DatasetError):
        writer.write(video_id, "00000", np.zeros((4, 4), np.uint8))
    with pytest.raises(DatasetError):
        writer.write("ok", "../../../frame", np.zeros((4, 4), np.uint8))
    writer.abort()
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["eval"]
