"""Fine-tune SAM2's video model on clips of your videos (Hydra config tree in configs/).

    python train.py data=endovis18 data.root=/data/endovis18 model.checkpoint_path=/ckpt/sam2.1_hiera_tiny.pt
    python train.py experiment=demo          # tiny debug SAM2 on generated data, a few CPU minutes

    python train.py hparams_search=optuna    # Optuna search (SQLite storage, resumes after a kill)
    python train.py -m hydra/launcher=slurm_gpu loss=official,dice_main   # a sweep on SLURM

Writes <output_dir>/: config.yaml, checkpoints/{best,last}.ckpt, model_official.pt, metrics.json,
train.log, TensorBoard + CSV logs. With `optimized_metric` set (e.g. best/val/jf, a metrics.json
number as `python -m sam2_video.results` names it) the run returns that number: what a Hydra
sweeper (hydra/sweeper=optuna) maximises. See docs/scale_out.md. Every config value is checked first: a bad one is one error line,
exit status 2, and nothing is written. Groups and their options are listed below; `--cfg job
--resolve` prints the resolved tree.
"""

from typing import Optional

from sam2_video.cli import hydra_main
from sam2_video.validation import validate_train


def _check(cfg) -> None:
    validate_train(cfg, warn=False)  # the memory warning is logged once, by train()


def objective(metrics: dict, name: str) -> float:
    """The number ``name`` of a run's metrics (flattened like the results table: ``best/val/jf``, ``eval/JF``)."""
    from sam2_video.errors import ConfigError
    from sam2_video.results import flatten_metrics

    flat = flatten_metrics(metrics)
    if name not in flat:
        raise ConfigError(f"optimized_metric={name}: the run has no such metric; choose one of {', '.join(sorted(flat))}")
    return float(flat[name])


def main(cfg) -> Optional[float]:
    from sam2_video.training.train import train  # imported after the checks: a refusal stays fast

    metrics = train(cfg)  # a UserError: exit 2 in a single run, a failed job in a sweep (sam2_video.cli)
    return objective(metrics, cfg.optimized_metric) if cfg.get("optimized_metric") else None


if __name__ == "__main__":
    hydra_main(check=_check, description=__doc__)(main)()
