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


def test_every_flag_of_seed_002_is_mapped_and_refused_with_its_override():
    """Seed 002 (AutoSAM2: train.py / inference.py flags): each flag has a row, and train.py's refusal
    table (sam2_video.renamed_keys.FLAGS) knows it, with the override the doc gives."""
    from sam2_video.renamed_keys import FLAGS

    text = DOC.read_text()
    assert "seed 002" in text.lower()
    for flag, key in (("--checkpoint", "model.checkpoint_path"), ("--batch-size", "data.batch_size"),
                      ("--epochs", "trainer.max_epochs"), ("--lr", "optim.lr"), ("--weights", "model.checkpoint_path"),
                      ("--dataset", "data="), ("--gpu", "trainer=gpu"), ("--cpu", "trainer=cpu"),
                      ("--output-dir", "output_dir=")):
        row = re.search(rf"^\| `{re.escape(flag)}(?![\w-])[^`|]*` \| (.*)$", text, flags=re.M)
        assert row and key in row.group(1), flag
        assert flag in FLAGS and key in FLAGS[flag][0], flag
    for flag in FLAGS:  # and every flag of the table is documented (seed 001 or 002)
        assert re.search(rf"`[^`|]*{re.escape(flag)}(?![\w-])", text), flag
