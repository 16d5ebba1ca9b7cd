"""Stream SAM2 over videos frame by frame, as a live deployment would (the same as ``python -m sam2_video.stream``).

    python stream.py sam2=debug output_dir=outputs/stream stream.memory_every=5 stream.ema_alpha=0.7
    python stream.py stream.source=video stream.path=clip.mp4 stream.seed=prompts stream.prompts_file=p.json
    python stream.py stream.autoprompt_every=1 model.checkpoint_path=/ckpt/sam2.pt   # re-prompt from the last mask
    python stream.py -m stream.memory_every=1,5 stream.ema_alpha=0,0.7              # sweep (Hydra multirun)

Reads frames one at a time (the eval split of `data`, a folder of frames or a video file), seeds
each object on its first frame (ground truth, a prompts file or the prompt-free encoder), then per
frame: SAM2 step -> optional refiner -> optional EMA / hole fill / opening -> mask, writing SAM2's
memory every `stream.memory_every` frames. Writes masks, a per-frame CSV (latency per stage,
confidence, QA flags), optional overlay videos and, on `data`, J&F / Dice to output_dir. Same config
tree as train.py (config group `stream`); see docs/streaming.md. A bad value or a missing input file
is one error line, exit status 2.
"""

from sam2_video.cli import hydra_main
from sam2_video.stream.__main__ import check, main

if __name__ == "__main__":
    hydra_main(check=check, description=__doc__)(main)()
