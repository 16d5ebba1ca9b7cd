"""Running many evaluation / training jobs (fan-out over combo configs); built on sam2_video.eval."""
