"""Run a trained model on unlabeled videos (predict.py): prompt-free or from a prompts JSON."""
