"""Write one composing YAML per experiment combo, plus index.csv (see docs/experiments.md).

    python generate_combo_yamls.py --datasets endovis17 endovis18 cholecseg8k \
        --prompt-kinds point box mask --output-dir configs/combo
    python train.py --config-name combo/endovis18/1      # point prompts, official loss
"""

from __future__ import annotations

import argparse

from sam2_video.cli import exit_on_user_error
from sam2_video.combos import DEFAULT_DATASETS, DEFAULT_LOSSES, DEFAULT_OUTPUT_DIR, PROMPT_KINDS, generate


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--datasets", nargs="+", default=list(DEFAULT_DATASETS), help="data configs (configs/data/)")
    p.add_argument("--prompt-kinds", "--prompt-types", dest="prompt_kinds", nargs="+", default=list(PROMPT_KINDS),
                   help="prompt.kind of each combo: point box mask auto (--prompt-types: its former name)")
    p.add_argument("--losses", nargs="+", default=list(DEFAULT_LOSSES), help="loss presets (configs/loss/)")
    p.add_argument("--num-pos-points", nargs="+", type=int, default=[1], help="point prompts: positive clicks")
    p.add_argument("--num-neg-points", nargs="+", type=int, default=[0], help="point prompts: negative clicks")
    p.add_argument("--output-dir", default=str(DEFAULT_OUTPUT_DIR), help="default: configs/combo")
    p.add_argument("--force", action="store_true", help="overwrite existing combo files that differ")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    with exit_on_user_error():
        generate(args.datasets, args.prompt_kinds, args.losses, args.num_pos_points, args.num_neg_points,
                 args.output_dir, force=args.force)


if __name__ == "__main__":
    main()
