"""docs/migration.md: its Python snippets run as written (in order, one session)."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "migration.md"


def test_snippets_run(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) >= 3
    ns: dict = {}
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), ns)  # noqa: S102 - our own documentation
    assert ns["trainer"].global_step == 1
    assert {"core_loss", "loss_dice", "loss_temporal"} <= set(ns["components"])


def test_every_flag_of_seed_001_is_mapped():
    text = DOC.read_text()
    for flag in ("--create-config", "--config", "--lr", "--max-epochs", "--no-wandb", "--debug", "--model-checkpoint",
                 "--model-config", "--data-path", "--accelerator", "--devices"):
        assert re.search(rf"\| `[^`|]*{re.escape(flag)}(?![\w-])[^`|]*` ", text), flag  # in the flags column
