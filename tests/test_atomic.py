"""Atomic writes: all-or-nothing, and files get the usual permissions (not mkstemp's 0600)."""

from __future__ import annotations

import os
import stat

import pytest

from sam2_video.atomic import atomic_path, write_json


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
