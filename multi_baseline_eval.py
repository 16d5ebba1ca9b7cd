"""Evaluate every combo config (configs/combo/**.yaml) with baseline_eval.py: one Hydra multirun job per config.

    python multi_baseline_eval.py                       # all combos, local processes (hydra/launcher=joblib)
    python multi_baseline_eval.py --filter endovis17 --jobs 2
    python multi_baseline_eval.py --force -- model.checkpoint_path=/ckpt/sam2.1_hiera_tiny.pt   # one shared checkpoint
    python multi_baseline_eval.py --runs outputs/multirun/2026-11-30/12-00-00   # each combo's own trained run
    python multi_baseline_eval.py --launcher slurm_gpu -- hydra.launcher.partition=gpu   # SLURM (docs/scale_out.md)

The jobs run on a Hydra launcher (--launcher: joblib, basic, submitit_local, submitit_slurm or a
config of configs/hydra/launcher/); overrides after `--` that start with `hydra` go to the multirun
(e.g. hydra.launcher.timeout_min=120), the others to every evaluation. One GPU per job. Finished
configs (summary.json present) are skipped unless --force; a failing config never stops the others.
Writes <output-root>/baselines.csv and baselines.md (status, prompt kind, metrics, the failure's last
log line); exits 1 if any config failed, 2 on bad arguments.
"""

import argparse
import os
import sys

from loguru import logger

from sam2_video.combos import plan_batch
from sam2_video.errors import UserError
from sam2_video.runs.batch import JOB_REPORT, discover, finish_job, split_finished, write_summary


def default_parallel() -> int:
    """One job per visible GPU, else one per 4 cores."""
    from sam2_video.runs.gpu_lock import visible_gpus

    return len(visible_gpus()) or max(1, (os.cpu_count() or 1) // 4)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--filter", action="append", default=[],
                    help="only configs whose name contains this (repeatable: any match)")
    ap.add_argument("--launcher", default="joblib",
                    help="hydra/launcher of the multirun: joblib (default), basic, submitit_local, submitit_slurm, slurm_gpu")
    ap.add_argument("--jobs", type=int, default=None,
                    help="parallel evaluations: joblib n_jobs / SLURM array_parallelism (default: one per GPU, else cores/4)")
    ap.add_argument("--force", action="store_true", help="re-run configs whose results already exist")
    ap.add_argument("--configs-dir", default="configs/combo", help="folder searched for *.yaml (default configs/combo)")
    ap.add_argument("--output-root", default="outputs/baselines", help="results go to <output-root>/<config name>")
    ap.add_argument("--timeout", type=float, default=None, help="seconds before a single evaluation is killed")
    ap.add_argument("--runs", default=None,
                    help="folder of trained runs (e.g. outputs/multirun/<date>/<time>): each combo is evaluated with "
                         "the best.ckpt of the run whose task_name matches it; combos without a run are listed as no_run")
    ap.add_argument("overrides", nargs="*", help="overrides: hydra* ones for the multirun, the rest for every evaluation")
    args = ap.parse_args(argv)
    if args.jobs is not None and args.jobs < 1:
        logger.error(f"--jobs {args.jobs}: give at least 1")
        return 2
    hydra_overrides = [o for o in args.overrides if o.lstrip("+~").startswith("hydra")]
    extra = [o for o in args.overrides if o not in hydra_overrides]
    try:
        todo, left = plan_batch(discover(args.configs_dir, args.filter, args.output_root), args.runs)
    except UserError as exc:
        logger.error(str(exc))
        return 2
    todo, skipped = split_finished(todo, args.force)
    logger.info(f"{len(todo)} configs to evaluate, {len(skipped)} finished (skipped; --force re-runs them)")
    if todo:
        from sam2_video.runs.batch_launch import launch

        rc = launch(todo, args.output_root, args.launcher, args.jobs or default_parallel(), extra, args.timeout,
                    hydra_overrides)
        if rc and not any((j.output_dir / JOB_REPORT).is_file() for j in todo):
            logger.error(f"the multirun did not start (hydra exit {rc}); check --launcher and the hydra.* overrides")
            return 2
        for job in todo:
            finish_job(job)
            logger.log("INFO" if job.status == "ok" else "ERROR", f"{job.name}: {job.status} {job.error}")
    jobs = sorted(todo + skipped + left, key=lambda j: j.name)
    print(write_summary(jobs, args.output_root))  # (re)written after the runs: also when all were skipped
    failed = [j.name for j in jobs if j.status in ("failed", "no_run")]
    if failed:
        logger.error(f"{len(failed)} of {len(jobs)} configs failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
