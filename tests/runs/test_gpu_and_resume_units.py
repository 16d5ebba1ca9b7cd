"""Small parts of the scale-out: one GPU per job (kernel locks), the Optuna resume callback."""

from __future__ import annotations

import optuna
from omegaconf import OmegaConf

from sam2_video.runs.gpu_lock import gpu_slot
from sam2_video.runs.optuna_resume import ResumeStudy


def test_concurrent_jobs_hold_different_gpus(tmp_path):
    gpus = ["0", "1"]
    with gpu_slot(tmp_path, 0, gpus) as a, gpu_slot(tmp_path, 0, gpus) as b:
        assert {a, b} == {"0", "1"}
    with gpu_slot(tmp_path, 1, gpus) as c:  # released: the job's own pick is free again
        assert c == "1"
    with gpu_slot(tmp_path, 3, ["0"]) as single, gpu_slot(tmp_path, 3, []) as none:
        assert single is None and none is None  # one or no GPU: nothing to pin


def _config(tmp_path, n_trials: int):
    storage = f"sqlite:///{tmp_path / 'db' / 'study.db'}"
    return OmegaConf.create({"hydra": {"sweep": {"dir": str(tmp_path / "sweep")}, "sweeper": {
        "_target_": "hydra_plugins.hydra_optuna_sweeper.optuna_sweeper.OptunaSweeper", "storage": storage,
        "study_name": "s", "n_trials": n_trials, "sampler": {"seed": 7}}}}), storage


def test_resume_runs_only_the_trials_still_to_go(tmp_path):
    cfg, storage = _config(tmp_path, 5)
    OmegaConf.set_readonly(cfg.hydra, True)
    ResumeStudy().on_multirun_start(cfg)  # new study: folders made, nothing changed
    assert (tmp_path / "db").is_dir() and (tmp_path / "sweep").is_dir() and cfg.hydra.sweeper.n_trials == 5
    study = optuna.create_study(study_name="s", storage=storage, direction="maximize")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    study.ask()  # a trial left running by the killed search: not counted
    ResumeStudy().on_multirun_start(cfg)
    assert cfg.hydra.sweeper.n_trials == 3 and cfg.hydra.sweeper.sampler.seed == 9
