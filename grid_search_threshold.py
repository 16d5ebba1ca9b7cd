"""Find the best probability threshold per metric with ONE model pass (logits kept, grid scored at once).

    python grid_search_threshold.py --config-path configs/combo/endovis18/1.yaml --output-dir outputs/threshold_search
    python grid_search_threshold.py --config-path config --output-dir out sam2=debug data=synthetic --thresholds 0.3,0.5,0.7

Then: python baseline_eval.py --config-name combo/endovis18/1 eval.threshold=<best>.
"""

import argparse
import sys

from loguru import logger

from sam2_video.atomic import remove_stale_temps
from sam2_video.cli import setup_console
from sam2_video.config import compose
from sam2_video.errors import UserError
from sam2_video.eval.threshold import grid_search, parse_thresholds
from sam2_video.model.meta_config import apply_meta_config
from sam2_video.model.stored_config import adopt_stored_settings
from sam2_video.validation import validate_eval


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config-path", default="config",
                    help="YAML under configs/ (configs/combo/endovis18/1.yaml) or a config name (default: config)")
    ap.add_argument("--output-dir", required=True, help="where thresholds.csv/.md/.png and best_thresholds.json go")
    ap.add_argument("--thresholds", default=None,
                    help="comma-separated probabilities (default: eval.thresholds start..stop by step)")
    ap.add_argument("--keep-logits", action="store_true", help="keep <output-dir>/.logits (low-res logits memmaps)")
    ap.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. model.checkpoint_path=/ckpt/sam2.pt")
    args = ap.parse_args(argv)
    setup_console()
    try:
        cfg = compose(args.config_path, [*args.overrides, f"output_dir={args.output_dir}"])
        apply_meta_config(cfg)
        validate_eval(cfg)
        adopt_stored_settings(cfg)
        remove_stale_temps(args.output_dir)
        thresholds = parse_thresholds(args.thresholds) if args.thresholds else None
        result = grid_search(cfg, args.output_dir, thresholds, keep_logits=args.keep_logits)
    except UserError as exc:
        logger.error(str(exc))
        return 2
    for metric, b in result["best"].items():
        print(f"{metric:>16}: best threshold {b['threshold']:.3f} -> {b['value']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
