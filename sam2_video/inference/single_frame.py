"""SAM2 on one frame with point + box prompts and no memory: what Meta's ``SAM2ImagePredictor``
does (that class imports torchvision, which this project does not install).

The frame is resized to S x S (bilinear), SAM2-normalised and encoded once; every class is one row
of a batched prompt (box corners as points with labels 2 / 3, then the clicks; -1 rows are padding);
the mask decoder runs on the image features with ``no_mem_embed`` added, like the image predictor,
so SAM2's object-score gate does not blank weak masks. Low-res logits are resized bilinear to the
requested (h, w).
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from sam2_video.data.normalize import normalize_frames


class SingleFrameSAM:
    """``sam(image, coords, labels, boxes, out_hw)`` -> (N, h, w) float32 mask logits, one per prompt row."""

    def __init__(self, model: torch.nn.Module, multimask_output: bool = False) -> None:
        self.model = model.eval()
        self.size = int(model.image_size)
        self.multimask_output = bool(multimask_output)
        self.device = next(model.parameters()).device

    @torch.inference_mode()
    def __call__(self, image: np.ndarray, coords: np.ndarray, labels: np.ndarray, boxes: np.ndarray,
                 out_hw: tuple[int, int]) -> torch.Tensor:
        """image (H, W, 3) uint8 RGB; coords (N, P, 2) xy frame pixels, labels (N, P) 1 / 0 / -1,
        boxes (N, 4) x0, y0, x1, y1 frame pixels -> (N, h, w) float32 logits."""
        h, w = image.shape[:2]
        s = self.size
        x = normalize_frames(cv2.resize(image, (s, s), interpolation=cv2.INTER_LINEAR)[None]).to(self.device)
        backbone = self.model.forward_image(x)
        _, feats, _, sizes = self.model._prepare_backbone_features(backbone)
        if self.model.directly_add_no_mem_embed:
            feats[-1] = feats[-1] + self.model.no_mem_embed
        maps = [f.permute(1, 2, 0).reshape(1, -1, *hw) for f, hw in zip(feats, sizes)]  # (1, C_l, h_l, w_l)
        n = len(coords)
        scale = torch.tensor([s / w, s / h], dtype=torch.float32)
        pts = torch.cat([torch.as_tensor(boxes, dtype=torch.float32).reshape(n, 2, 2),
                         torch.as_tensor(coords, dtype=torch.float32)], dim=1) * scale
        lab = torch.cat([torch.tensor([[2, 3]], dtype=torch.int32).expand(n, 2),
                         torch.as_tensor(labels, dtype=torch.int32)], dim=1)
        sparse, dense = self.model.sam_prompt_encoder(points=(pts.to(self.device), lab.to(self.device)),
                                                      boxes=None, masks=None)
        low, iou, _, _ = self.model.sam_mask_decoder(
            image_embeddings=maps[-1], image_pe=self.model.sam_prompt_encoder.get_dense_pe(),
            sparse_prompt_embeddings=sparse, dense_prompt_embeddings=dense,
            multimask_output=self.multimask_output, repeat_image=n > 1, high_res_features=maps[:-1])
        best = iou.argmax(1) if self.multimask_output else torch.zeros(n, dtype=torch.long, device=low.device)
        low = low[torch.arange(n, device=low.device), best][:, None]  # (N, 1, S/4, S/4)
        return F.interpolate(low.float(), size=tuple(out_hw), mode="bilinear", align_corners=False)[:, 0].cpu()
