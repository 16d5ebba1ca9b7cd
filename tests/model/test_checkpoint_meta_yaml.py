"""model.config_path: Meta's own SAM2 YAML builds the same network as our variant config."""

from __future__ import annotations

from pathlib import Path

import pytest
import sam2

from sam2_video.config import compose_config
from sam2_video.errors import ConfigError
from sam2_video.model.builder import build_sam2_model
from sam2_video.model.meta_config import apply_meta_config

META = Path(sam2.__file__).parent / "configs" / "sam2.1" / "sam2.1_hiera_t.yaml"


def test_meta_yaml_builds_the_same_network_as_ours():
    ours = build_sam2_model(compose_config(["output_dir=/x"]).model)  # sam2=sam2.1_tiny
    cfg = compose_config(["output_dir=/x", "sam2=debug", f"model.config_path={META}"])  # debug knobs ignored
    assert apply_meta_config(cfg)
    assert cfg.model.image_size == 1024 and cfg.data.image_size == 1024 and cfg.model.variant == "sam2.1_hiera_t"
    theirs = build_sam2_model(cfg.model)
    a, b = ours.state_dict(), theirs.state_dict()
    assert a.keys() == b.keys() and all(a[k].shape == b[k].shape for k in a)
    assert type(theirs) is type(ours) and theirs.num_maskmem == 7


def test_not_a_sam2_yaml_is_one_error(tmp_path):
    bad = tmp_path / "x.yaml"
    bad.write_text("foo: 1\n")
    cfg = compose_config(["output_dir=/x", "sam2=debug", f"model.config_path={bad}"])
    with pytest.raises(ConfigError, match="^model.config_path="):
        apply_meta_config(cfg)
