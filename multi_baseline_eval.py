"""Evaluate every combo config (configs/combo/**.yaml) with baseline_eval.py, in parallel.

    python multi_baseline_eval.py                       # all combos
    python multi_baseline_eval.py --filter endovis17 --jobs 2
    python multi_baseline_eval.py --force -- model.checkpoint_path=/ckpt/sam2.1_hiera_tiny.pt   # one shared checkpoint
    python multi_baseline_eval.py --runs outputs/multirun/2026-11-30/12-00-00   # each combo's own trained run

Finished configs (summary.json present) are skipped unless --force. Writes
<output-root>/baselines.csv and baselines.md; exits 1 if any config failed, 2 on bad arguments.
"""

import argparse
import sys

from loguru import logger

from sam2_video.combos import plan_batch
from sam2_video.errors import UserError
from sam2_video.runs.batch import discover, run_batch, write_summary


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--filter", action="append", default=[],
                    help="only configs whose name contains this (repeatable: any match)")
    ap.add_argument("--jobs", type=int, default=None, help="parallel evaluations (default: one per GPU, else cores/4)")
    ap.add_argument("--force", action="store_true", help="re-run configs whose results already exist")
    ap.add_argument("--configs-dir", default="configs/combo", help="folder searched for *.yaml (default configs/combo)")
    ap.add_argument("--output-root", default="outputs/baselines", help="results go to <output-root>/<config name>")
    ap.add_argument("--timeout", type=float, default=None, help="seconds before a single evaluation is killed")
    ap.add_argument("--runs", default=None,
                    help="folder of trained runs (e.g. outputs/multirun/<date>/<time>): each combo is evaluated with "
                         "the best.ckpt of the run whose task_name matches it; combos without a run are listed as no_run")
    ap.add_argument("overrides", nargs="*", help="Hydra overrides passed to every run")
    args = ap.parse_args(argv)
    try:
        todo, left = plan_batch(discover(args.configs_dir, args.filter, args.output_root), args.runs)
        jobs = run_batch(todo, args.output_root, args.jobs, args.force, args.overrides, args.timeout) + left
    except UserError as exc:
        logger.error(str(exc))
        return 2
    print(write_summary(jobs, args.output_root))  # (re)written after the runs: also when all were skipped
    failed = [j.name for j in jobs if j.status in ("failed", "no_run")]
    if failed:
        logger.error(f"{len(failed)} of {len(jobs)} configs failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
