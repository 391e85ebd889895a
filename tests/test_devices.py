"""The same computation on CPU and GPU: a full ResNet-20 training step agrees to float32 tolerance."""

from __future__ import annotations

import numpy as np
import pytest

import minires
from minires import models, optim
from minires.nn.functional import cross_entropy


def one_step(device: str) -> dict[str, np.ndarray]:
    minires.manual_seed(0)  # same initial weights on both devices (drawn on the host)
    model = models.resnet20().to(device)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    rng = np.random.default_rng(0)
    x = minires.tensor(rng.standard_normal((16, 3, 32, 32)).astype(np.float32), device=device)
    y = rng.integers(0, 10, 16)
    for _ in range(2):
        opt.zero_grad()
        cross_entropy(model(x), y).backward()
        opt.step()
    return {k: v.numpy() for k, v in model.state_dict().items()}


@pytest.mark.cuda
def test_resnet20_training_step_agrees_between_cpu_and_gpu(device: str) -> None:
    if device == "cpu":
        pytest.skip("compares the GPU against the CPU")
    cpu, gpu = one_step("cpu"), one_step("cuda")
    for name in cpu:
        np.testing.assert_allclose(gpu[name], cpu[name], rtol=1e-3, atol=1e-4, err_msg=name)
