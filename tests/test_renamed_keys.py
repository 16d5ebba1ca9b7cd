"""Removed eval.* prompt keys: one line naming the prompt.* key to use, wherever the old key arrives."""

from __future__ import annotations

import json

import pytest
import yaml
from omegaconf import OmegaConf, open_dict

from sam2_video.config import compose_config
from sam2_video.errors import ConfigError
from sam2_video.pipeline.eval_settings import EvalSettings
from sam2_video.metrics.summary import EvalSummary
from sam2_video.renamed_keys import RENAMED
from sam2_video.validation import validate_eval

REMOVED = [("eval.prompt_type", "box", "prompt.kind"), ("eval.num_pos_points", "2", "prompt.num_pos_points"),
           ("eval.num_neg_points", "1", "prompt.num_neg_points"), ("eval.include_center", "false", "prompt.include_center"),
           ("eval.box_jitter", "0.1", "prompt.box_jitter"), ("eval.seed", "3", "prompt.seed")]


def test_the_table_is_the_removed_keys():
    assert {old: new for old, _, new in REMOVED}.items() <= RENAMED.items()
    assert not set(RENAMED) & set(OmegaConf.to_container(compose_config([]).eval))  # gone from configs/eval


@pytest.mark.parametrize("old, value, new", REMOVED)
@pytest.mark.parametrize("prefix", ["", "+"])
def test_override_of_a_removed_key_names_its_replacement(old, value, new, prefix):
    with pytest.raises(ConfigError) as err:
        compose_config([f"{prefix}{old}={value}"])
    line = str(err.value)
    assert "\n" not in line and line.startswith(f"{old}={value}:") and f"use {new}={value}" in line


@pytest.mark.parametrize("old, value, new", [("model.train_prompting.prompt_probs", "1", "prompt.train.mix"),
                                              ("model.train_prompting.box_jitter", "0.2", "prompt.train.box_jitter"),
                                              ("data.prompt.include_center", "false", "prompt.include_center")])
def test_override_of_a_moved_node_names_the_new_key(old, value, new):
    """Keys of nodes that moved into the prompt group (the old training / data prompt settings)."""
    with pytest.raises(ConfigError) as err:
        compose_config([f"{old}={value}"])
    assert "\n" not in str(err.value) and str(err.value).startswith(f"{old}={value}:") and f"use {new}={value}" in str(err.value)


@pytest.mark.parametrize("old, value, new", REMOVED)
def test_removed_key_in_a_yaml_file_names_its_replacement(old, value, new):
    cfg = compose_config([])
    with open_dict(cfg):  # what a user's YAML file that still sets the key composes to
        OmegaConf.update(cfg, old, yaml.safe_load(value), force_add=True)
    for check in (validate_eval, lambda c: EvalSettings.from_config(OmegaConf.to_container(c.eval, resolve=True))):
        with pytest.raises(ConfigError) as err:
            check(cfg)
        assert "\n" not in str(err.value) and str(err.value).startswith(f"{old}=") and f"use {new}=" in str(err.value)


@pytest.mark.parametrize("argv, shown", [(["eval.prompt_type=box"], "box"),
                                         (["-m", "eval.prompt_type=box,mask"], "box,mask")])  # a sweep too
def test_entry_point_refuses_a_removed_key_with_one_line_and_exit_2(tmp_path, run_cli, argv, shown):
    out = tmp_path / "run"
    r = run_cli("baseline_eval.py", "sam2=debug", *argv, f"output_dir={out}", cwd=tmp_path)
    assert r.returncode == 2, r.stderr[-2000:]
    errors = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(errors) == 1 and f"eval.prompt_type={shown}" in errors[0] and f"use prompt.kind={shown}" in errors[0]
    assert "Traceback" not in r.stderr and sorted(p.name for p in tmp_path.iterdir()) == []  # nothing written


def test_summary_written_before_the_prompt_section_reads_its_prompt(tmp_path):
    old = {"overall": {"JF": 0.5}, "per_video": {}, "settings": {"prompt_type": "point", "num_pos_points": 2,
                                                                 "include_center": False, "threshold": 0.4}}
    (tmp_path / "summary.json").write_text(json.dumps(old))
    summary = EvalSummary.read(tmp_path)
    assert summary.prompt == {"kind": "point", "num_pos_points": 2, "include_center": False}
    assert summary.settings["threshold"] == 0.4 and summary.metric("JF") == 0.5
