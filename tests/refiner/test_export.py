"""ONNX export (static H x W, opset 17) agrees with PyTorch to <= 1e-4; the default refiner is < 2 M parameters."""

from __future__ import annotations

import onnx
import torch

from sam2_video.config import build, compose_config
from sam2_video.refiner.export import check_parity, export_onnx, ort_session
from sam2_video.refiner.model import TinyRefiner, count_parameters


def test_default_refiner_is_small():
    cfg = compose_config(["experiment=refiner"])
    for c in (1, 3, 13):  # binary, synthetic, CholecSeg8k
        net = build(cfg.refiner.net, num_classes=c)
        assert count_parameters(net) < 2_000_000
        assert net(torch.rand(1, 3, 32, 48), torch.randn(1, c, 32, 48)).shape == (1, c + 1, 32, 48)


def test_onnx_matches_pytorch(tmp_path):
    torch.manual_seed(0)
    net = TinyRefiner(3, width=16, num_blocks=3)
    net.train()
    with torch.no_grad():  # non-trivial BatchNorm statistics
        for _ in range(3):
            net(torch.rand(4, 3, 64, 96), torch.randn(4, 3, 64, 96) * 8)
    path = export_onnx(net, tmp_path / "r.onnx", (64, 96), opset=17)
    model = onnx.load(str(path))
    assert any(o.domain in ("", "ai.onnx") and o.version == 17 for o in model.opset_import)
    dims = [[d.dim_value for d in i.type.tensor_type.shape.dim] for i in model.graph.input]
    assert dims == [[1, 3, 64, 96], [1, 3, 64, 96]]
    batches = [{"image": torch.rand(2, 3, 64, 96), "prior": torch.randn(2, 3, 64, 96).clamp(-20, 20) * 10}
               for _ in range(2)]
    parity = check_parity(net, ort_session(path, 1), batches)
    assert parity["frames"] == 4
    assert parity["max_abs_diff"] <= 1e-4 and parity["argmax_agreement"] > 0.999
