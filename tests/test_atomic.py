"""Atomic writes: all-or-nothing, and files get the usual permissions (not mkstemp's 0600)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from sam2_video.atomic import atomic_path, remove_stale_temps, write_json


def test_atomic_write_mode_and_failure(tmp_path):
    old = os.umask(0o022)
    try:
        out = write_json(tmp_path / "sub" / "m.json", {"b": 1, "a": 2})
    finally:
        os.umask(old)
    assert out.read_text() == '{\n  "a": 2,\n  "b": 1\n}\n'
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    with pytest.raises(RuntimeError):
        with atomic_path(out) as tmp:
            tmp.write_text("partial")
            raise RuntimeError("crash while writing")
    assert out.read_text().startswith('{\n  "a": 2') and sorted(p.name for p in out.parent.iterdir()) == ["m.json"]


def _killed_writer(target, suffix: str) -> None:
    """A child process that dies (SIGKILL-like ``os._exit``) in the middle of an atomic write."""
    with atomic_path(target, suffix=suffix) as tmp:
        tmp.write_bytes(b"half a file")
        os._exit(9)


@pytest.mark.parametrize("name", ["worst_04.png", "metrics.csv", "best.ckpt", "summary.json"])
def test_killed_write_leaves_no_file_with_the_output_suffix(tmp_path, name):
    import multiprocessing as mp

    proc = mp.get_context("fork").Process(target=_killed_writer, args=(tmp_path / name, Path(name).suffix))
    proc.start()
    proc.join()
    assert proc.exitcode == 9
    suffix = Path(name).suffix
    assert not list(tmp_path.glob(f"*{suffix}")) and not list(tmp_path.glob(f".*{suffix}"))
    leftovers = [p.name for p in tmp_path.iterdir()]
    assert len(leftovers) == 1 and leftovers[0].startswith(f".{name}.") and leftovers[0].endswith(".tmp")
    # the next run cleans up: a new write of the same file, or remove_stale_temps on the run folder
    if name.endswith(".png"):
        write_json(tmp_path / name, {"ok": 1})
    else:
        assert remove_stale_temps(tmp_path) == 1
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_live_writers_temp_files_are_kept(tmp_path):
    with atomic_path(tmp_path / "a.png", suffix=".png") as tmp:
        tmp.write_bytes(b"x")
        assert remove_stale_temps(tmp_path) == 0 and tmp.exists()  # our own pid: in progress
    assert (tmp_path / "a.png").read_bytes() == b"x"
