"""CPU memory: the estimate (sam2_video/validation/memory.py) and the refusal before anything is built."""

from __future__ import annotations


import pytest

from sam2_video.config import compose_config
from sam2_video.errors import ConfigError
from sam2_video.validation import validate_eval, validate_train
from sam2_video.validation.environment import AVAILABLE_ENV, available_memory_bytes, check_cpu_memory
from sam2_video.validation.memory import CALIBRATION, Footprint, eval_bytes, training_bytes



def _cfg(*overrides: str):
    return compose_config(["output_dir=/tmp/unused-memory", "logger=none", *overrides])


def _fp(*overrides: str) -> Footprint:
    from sam2_video.validation.checks import value_at

    cfg = _cfg(*overrides)
    return Footprint.from_values(lambda key: value_at(cfg, key))


def test_the_estimate_reproduces_its_calibration_runs():
    """Every measured run (debug / sam2.1_tiny, 128-512 px, CPU; training and evaluation) within 20 %."""
    assert {kind for *_, kind in CALIBRATION} == {"train", "eval"} and len(CALIBRATION) >= 12
    for label, overrides, measured_mb, kind in CALIBRATION:
        estimate = training_bytes if kind == "train" else eval_bytes
        est = estimate(_fp("trainer=cpu", *overrides.split()))
        assert 0.8 < est / (measured_mb * 1e6) < 1.2, (label, est / 1e6, measured_mb)


def test_the_estimate_grows_with_what_costs_memory():
    base = training_bytes(_fp("trainer=cpu", "model.image_size=512", "data.clip_length=4"))
    for bigger in ("model.image_size=768", "data.clip_length=8", "data.batch_size=2", "model.trainable_modules=[all]",
                   "sam2=sam2.1_base_plus"):
        assert training_bytes(_fp("trainer=cpu", "model.image_size=512", "data.clip_length=4", bigger)) > base, bigger
    assert training_bytes(_fp("trainer=cpu", "model.image_size=512", "data.clip_length=4",
                              "model.activation_checkpointing=true")) < base
    assert training_bytes(_fp("trainer=cpu", "sam2=debug")) < 2e9  # the demo model fits any laptop


def test_the_encode_ahead_thread_counts_a_second_batch_of_features():
    """eval.encode_thread (true / auto) holds the next batch's features while one is tracked."""
    one = eval_bytes(_fp("model.image_size=512", "eval.encode_thread=false"))
    for value in ("true", "auto"):
        two = eval_bytes(_fp("model.image_size=512", f"eval.encode_thread={value}"))
        batch = eval_bytes(_fp("model.image_size=512", "eval.encode_thread=false", "eval.encode_batch=16"))
        assert two == pytest.approx(batch) and two > one, value  # 2 x 8 frames held, as with a batch of 16
    assert eval_bytes(_fp("eval.encode_batch=1", "eval.encode_thread=true")) == \
        eval_bytes(_fp("eval.encode_batch=1", "eval.encode_thread=false"))  # no worker without batches


def test_default_training_on_cpu_is_refused_naming_the_keys_that_fit(monkeypatch):
    """Bare ``python train.py`` on a CPU-only machine (simulated: 24 GB free): one line, before building."""
    monkeypatch.setenv(AVAILABLE_ENV, "24G")
    assert available_memory_bytes() == 24e9
    with pytest.raises(ConfigError) as err:
        validate_train(_cfg("trainer=cpu"), warn=False)
    line = str(err.value)
    assert "\n" not in line and line.startswith("model.image_size=1024:") and "24.0 GB are available" in line
    for key in ("trainer=cpu sam2=debug", "model.image_size=", "++allow_high_memory=true"):
        assert key in line, key
    suggested = next(w for w in line.replace(",", " ").split() if w.startswith("model.image_size=") and w != "model.image_size=1024:")
    check_cpu_memory(_cfg("trainer=cpu", suggested), training=True, available=24e9)  # the suggestion fits
    validate_train(_cfg("trainer=cpu", "sam2=debug"), warn=False)  # the demo model is not refused
    validate_train(_cfg("trainer=cpu", "++allow_high_memory=true"), warn=False)  # explicit: runs anyway


def test_evaluation_at_1024_px_on_cpu_is_checked_too(monkeypatch):
    monkeypatch.setenv(AVAILABLE_ENV, "1G")
    with pytest.raises(ConfigError, match=r"^model.image_size=1024: CPU evaluation .*sam2=debug"):
        validate_eval(_cfg("eval.device=cpu"))
    validate_eval(_cfg("eval.device=cpu", "sam2=debug"))
    monkeypatch.setenv(AVAILABLE_ENV, "64G")
    validate_eval(_cfg("eval.device=cpu"))


def test_bare_train_py_is_refused_in_one_line_before_anything_is_written(tmp_path, run_cli, monkeypatch):
    monkeypatch.setenv(AVAILABLE_ENV, "24G")
    if __import__("torch").cuda.is_available():
        pytest.skip("bare train.py trains on the GPU here")
    out = run_cli("train.py", f"paths.root_dir={tmp_path}", cwd=tmp_path)  # bare: auto = CPU
    assert out.returncode == 2, out.stderr[-2000:]
    errors = [ln for ln in out.stderr.splitlines() if "ERROR" in ln]
    assert len(errors) == 1 and "model.image_size=1024" in errors[0] and "Traceback" not in out.stderr
    assert not list(tmp_path.iterdir())
