"""Combo generator: numbering, idempotence, --force, bad input, shipped files up to date."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sam2_video.combos import DEFAULT_DATASETS, DEFAULT_OUTPUT_DIR, INDEX_NAME, generate, plan_combos, read_index
from sam2_video.config import CONFIG_DIR
from sam2_video.errors import ConfigError

REPO = CONFIG_DIR.parent


def test_default_numbering_point_box_mask():
    combos = {c.n: c for c in plan_combos()}
    assert len(combos) == 16
    assert (combos[1].prompt_kind, combos[1].loss) == ("point", "official")
    assert (combos[5].prompt_kind, combos[5].loss) == ("box", "official")
    assert (combos[10].prompt_kind, combos[10].loss) == ("mask", "dice_main")
    assert combos[1].num_pos_points == 1 and combos[5].num_pos_points is None
    assert (combos[13].prompt_kind, combos[13].loss) == ("auto", "official")  # prompt-free rows come last


def test_numbering_ignores_argument_order_and_points_only_multiply_point():
    a = plan_combos(["mask", "point"], ["focal_main", "official"], num_pos_points=[3, 1])
    b = plan_combos(["point", "mask", "point"], ["official", "focal_main"], num_pos_points=[1, 3])
    assert a == b
    assert [(c.prompt_kind, c.loss, c.num_pos_points) for c in a] == [
        ("point", "official", 1), ("point", "official", 3), ("point", "focal_main", 1),
        ("point", "focal_main", 3), ("mask", "official", None), ("mask", "focal_main", None)]


@pytest.mark.parametrize("kwargs", [
    {"datasets": ["nope"]}, {"datasets": ["coco"]}, {"prompt_kinds": ["scribble"]},
    {"losses": ["l2"]}, {"losses": []}, {"num_pos_points": [0]},
])
def test_bad_input_is_config_error(tmp_path, kwargs):
    with pytest.raises(ConfigError) as err:
        generate(output_dir=tmp_path, **kwargs)
    assert "\n" not in str(err.value)
    assert not any(tmp_path.iterdir())


def test_cli_bad_input_exits_2(tmp_path):
    proc = subprocess.run([sys.executable, str(REPO / "generate_combo_yamls.py"), "--datasets", "nope",
                           "--output-dir", str(tmp_path)], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 2 and "unknown dataset nope" in proc.stderr


def _snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_idempotent_second_run_writes_nothing(tmp_path):
    first = generate(output_dir=tmp_path)
    assert len(first.written) == 3 * 16 + 1  # + index.csv
    before = _snapshot(tmp_path)
    second = generate(output_dir=tmp_path)
    assert second.written == [] and second.skipped == []
    assert _snapshot(tmp_path) == before


def test_existing_different_file_kept_unless_force(tmp_path):
    generate(datasets=["endovis18"], output_dir=tmp_path)
    target = tmp_path / "endovis18" / "1.yaml"
    original = target.read_text()
    target.write_text("# edited by hand\n")
    report = generate(datasets=["endovis18"], output_dir=tmp_path)
    assert report.skipped == [target] and target.read_text() == "# edited by hand\n"
    report = generate(datasets=["endovis18"], output_dir=tmp_path, force=True)
    assert report.written == [target] and target.read_text() == original


def test_index_merges_runs_and_lists_settings(tmp_path):
    generate(datasets=["endovis18"], prompt_kinds=["box"], losses=["official"], output_dir=tmp_path)
    generate(datasets=["endovis17"], output_dir=tmp_path)
    rows = read_index(tmp_path / INDEX_NAME)
    assert [(r["dataset"], r["n"]) for r in rows][:2] == [("endovis17", "1"), ("endovis17", "2")]
    assert rows[-1] == {"config_name": "", "dataset": "endovis18", "n": "1", "prompt_kind": "box",
                        "loss": "official", "num_pos_points": "", "num_neg_points": "", "file": "endovis18/1.yaml"}


def test_shipped_combos_are_what_the_generator_writes(tmp_path):
    generate(output_dir=tmp_path)
    for dataset in DEFAULT_DATASETS:
        for path in (tmp_path / dataset).glob("*.yaml"):
            shipped = DEFAULT_OUTPUT_DIR / dataset / path.name
            assert shipped.read_bytes() == path.read_bytes(), f"{shipped}: rerun generate_combo_yamls.py --force"
    shipped_rows = read_index(DEFAULT_OUTPUT_DIR / INDEX_NAME)
    assert all(r["config_name"] == f"combo/{r['dataset']}/{r['n']}" for r in shipped_rows)
    strip = [{**r, "config_name": ""} for r in shipped_rows]
    assert strip == read_index(tmp_path / INDEX_NAME)


def test_index_written_before_prompt_kind_is_read_and_rewritten(tmp_path):
    generate(datasets=["endovis18"], prompt_kinds=["box"], losses=["official"], output_dir=tmp_path)
    index = tmp_path / INDEX_NAME
    index.write_text(index.read_text().replace("prompt_kind", "prompt_type"))  # the former column name
    assert [r["prompt_kind"] for r in read_index(index)] == ["box"]
    generate(datasets=["endovis17"], prompt_kinds=["mask"], losses=["official"], output_dir=tmp_path)
    assert index.read_text().splitlines()[0].split(",")[3] == "prompt_kind"
    assert sorted(r["prompt_kind"] for r in read_index(index)) == ["box", "mask"]
