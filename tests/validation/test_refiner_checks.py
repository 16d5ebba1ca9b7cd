"""train_refiner.py's config checks (sam2_video/validation/refiner.py) and docs/refiner.md's folder command."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sam2_video.config import compose_config
from sam2_video.errors import ConfigError
from sam2_video.validation import validate_refiner

DOC = Path(__file__).resolve().parents[2] / "docs" / "refiner.md"


@pytest.mark.parametrize("regex", ["([", "(?P<x", "*patient", "a{2,1}"])
def test_a_regex_python_cannot_compile_names_the_key(regex):
    cfg = compose_config(["experiment=refiner_demo", "output_dir=/tmp/unused", f"refiner.folder.video_regex='{regex}'"])
    with pytest.raises(ConfigError) as err:
        validate_refiner(cfg)
    line = str(err.value)
    assert line.startswith("refiner.folder.video_regex=") and "\n" not in line


def test_refiner_keys_are_typed_and_the_group_is_required():
    with pytest.raises(ConfigError, match="^refiner.resolution="):
        validate_refiner(compose_config(["experiment=refiner_demo", "output_dir=/x", "refiner.resolution=[128]"]))
    with pytest.raises(ConfigError, match="experiment=refiner"):
        validate_refiner(compose_config(["output_dir=/x"]))
    with pytest.raises(ConfigError, match="^refiner.folder.images="):
        validate_refiner(compose_config(["experiment=refiner_demo", "output_dir=/x", "refiner.source=folder"]))


def _documented_folder_command() -> list[str]:
    """The arguments of docs/refiner.md's ``refiner.source=folder`` command, split as bash splits them."""
    block = re.search(r"```bash\n(.*?)```", DOC.read_text(), flags=re.S).group(1)
    joined = block.replace("\\\n", " ")
    line = next(ln for ln in joined.splitlines() if "refiner.source=folder" in ln)
    return shlex.split(line, comments=True)


def _frames(folder: Path, names: list[str], mask: bool) -> Path:
    folder.mkdir(parents=True)
    for name in names:
        arr = np.zeros((32, 32), np.uint8)
        arr[8:20, 8:20] = 1 if mask else 200
        Image.fromarray(arr if mask else np.stack([arr] * 3, -1)).save(folder / name)
    return folder


def test_the_documented_folder_command_parses_and_groups_by_patient(tmp_path):
    """The quoted regex reaches the config unchanged (Hydra's lexer accepts it) and groups frames by patient."""
    from sam2_video.refiner.sources import records_from_folder

    args = _documented_folder_command()
    assert args[:2] == ["python", "train_refiner.py"]
    names = ["patient01_0001.png", "patient01_0002.png", "patient07_0001.png"]
    images = _frames(tmp_path / "images", names, mask=False)
    masks = _frames(tmp_path / "masks", names, mask=True)
    local = {"/data/lab/images": str(images), "/data/lab/masks": str(masks), "/data/lab/refiner": str(tmp_path / "w")}
    overrides = [re.sub(r"=(/data/lab/\w+)$", lambda m: "=" + local[m.group(1)], a) for a in args[2:]]
    overrides = [o for o in overrides if not o.startswith(("model.checkpoint_path=", "trainer="))]  # no /ckpt, no GPU
    cfg = compose_config([*overrides, "output_dir=/tmp/unused"])
    assert cfg.refiner.folder.video_regex == r"^(patient\d+)_"
    validate_refiner(cfg)
    records, _ = records_from_folder(images, masks, video_regex=cfg.refiner.folder.video_regex)
    assert sorted({r.video_id for r in records}) == ["patient01", "patient07"]
