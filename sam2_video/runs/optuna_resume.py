"""A Hydra callback for Optuna searches kept in SQLite (configs/hparams_search/): ``ResumeStudy``.

Before the sweeper starts (``on_multirun_start``) it creates the folder of the SQLite file and the sweep
folder, and, when the study already holds trials (a search that was killed, then started again with
the same command), lowers ``hydra.sweeper.n_trials`` to the trials still to go: hydra-optuna-sweeper
itself would run ``n_trials`` more), and moves the sampler's seed on by that count (the same seed would
propose the first trials' random startup points again). Trials another process is running stay untouched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from hydra.experimental.callback import Callback
from loguru import logger
from omegaconf import DictConfig, open_dict, read_write

SQLITE_PREFIX = "sqlite:///"


def sqlite_file(storage: Any) -> Optional[Path]:
    """The file of a ``sqlite:///path`` storage URL (None for other storages)."""
    text = str(storage or "")
    return Path(text[len(SQLITE_PREFIX):]) if text.startswith(SQLITE_PREFIX) else None


def finished_trials(storage: str, study_name: str) -> Optional[int]:
    """Trials of the study that ended (complete, pruned or failed); None when there is no such study."""
    import optuna

    try:
        study = optuna.load_study(study_name=study_name, storage=storage)
    except KeyError:
        return None
    ended = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED, optuna.trial.TrialState.FAIL)
    return sum(t.state in ended for t in study.get_trials(deepcopy=False))


class ResumeStudy(Callback):
    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        sweeper = config.hydra.sweeper
        path = sqlite_file(sweeper.get("storage"))
        if path is None or "optuna" not in str(sweeper.get("_target_", "")):
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        Path(config.hydra.sweep.dir).mkdir(parents=True, exist_ok=True)
        done = finished_trials(str(sweeper.storage), str(sweeper.study_name)) if path.is_file() else None
        if done is None:
            logger.info(f"Optuna study {sweeper.study_name}: new, {sweeper.n_trials} trials, storage {path}")
            return
        to_go = max(0, int(sweeper.n_trials) - done)
        logger.info(f"Optuna study {sweeper.study_name}: resumed from {path}, {done} trials ended, {to_go} to go")
        with read_write(config.hydra), open_dict(config.hydra):
            config.hydra.sweeper.n_trials = to_go
            if sweeper.get("sampler") is not None and sweeper.sampler.get("seed") is not None:
                # a new seed per resume: the same one would draw the first trials' random startup points again
                config.hydra.sweeper.sampler.seed = int(sweeper.sampler.seed) + done
