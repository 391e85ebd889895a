"""SGD: the update rule, parameter groups, state dicts, PyTorch parity, and a net that learns."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import randn

import minires
from minires import nn, optim
from minires.nn import functional as F


def test_plain_sgd_step() -> None:
    p = minires.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.5)
    (p * p).sum().backward()
    opt.step()
    np.testing.assert_allclose(p.numpy(), [0.0, 0.0])


def test_momentum_weight_decay_nesterov_by_hand() -> None:
    p = minires.tensor([1.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01, nesterov=True)
    expected, buf = 1.0, None
    for _ in range(3):
        opt.zero_grad()
        (p * p).sum().backward()  # gradient 2p
        g = 2 * expected + 0.01 * expected
        buf = g if buf is None else 0.9 * buf + g
        expected -= 0.1 * (g + 0.9 * buf)
        opt.step()
        assert p.item() == pytest.approx(expected, rel=1e-6)


def test_split_weight_decay_groups() -> None:
    net = nn.Sequential(nn.Conv2d(3, 4, 3, bias=False), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(4, 2))
    groups = optim.split_weight_decay(net.named_parameters(), 1e-4)
    assert [len(g["params"]) for g in groups] == [2, 3]
    assert [g["weight_decay"] for g in groups] == [1e-4, 0.0]


def test_state_dict_restores_momentum() -> None:
    def run(steps: int, resume_at: int | None = None) -> np.ndarray:
        minires.manual_seed(0)
        p = minires.tensor([1.0, -2.0], requires_grad=True)
        opt = optim.SGD([p], lr=0.1, momentum=0.9)
        for i in range(steps):
            if i == resume_at:
                state, values = opt.state_dict(), p.numpy().copy()
                p = minires.tensor(values, requires_grad=True)
                opt = optim.SGD([p], lr=0.5, momentum=0.0)
                opt.load_state_dict(state)
            opt.zero_grad()
            (p**3).sum().backward()
            opt.step()
        return p.numpy()

    np.testing.assert_array_equal(run(6), run(6, resume_at=3))


def test_sgd_errors() -> None:
    with pytest.raises(ValueError, match="lr must be >= 0"):
        optim.SGD([minires.ones(1, requires_grad=True)], lr=-1)
    with pytest.raises(TypeError, match="requires_grad=True"):
        optim.SGD([minires.ones(1)], lr=0.1)
    with pytest.raises(ValueError, match="nesterov"):
        optim.SGD([minires.ones(1, requires_grad=True)], lr=0.1, nesterov=True)


@pytest.mark.parametrize(("kw", "message"), [
    (dict(lr=float("nan")), "lr must be >= 0 and finite, got nan"),
    (dict(lr=float("inf")), "lr must be >= 0 and finite, got inf"),
    (dict(momentum=1.5), r"momentum must be in \[0, 1\), got 1.5"),
    (dict(momentum=1.0), r"momentum must be in \[0, 1\), got 1.0"),
    (dict(momentum=-0.1), r"momentum must be in \[0, 1\)"),
    (dict(weight_decay=float("nan")), "weight_decay must be >= 0 and finite, got nan"),
    (dict(dampening=2.0), r"dampening must be in \[0, 1\]"),
], ids=["nan lr", "infinite lr", "momentum 1.5", "momentum 1", "negative momentum", "nan decay", "dampening 2"])
def test_absurd_settings_are_refused(kw: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        optim.SGD([minires.ones(1, requires_grad=True)], **{"lr": 0.1, **kw})
    with pytest.raises(ValueError, match=message):  # in a group's own settings too
        optim.SGD([{"params": [minires.ones(1, requires_grad=True)], **kw}], lr=0.1)


def test_a_computed_tensor_is_refused_as_a_parameter() -> None:
    w = minires.ones(3, requires_grad=True)
    with pytest.raises(ValueError, match="must be a leaf tensor .* made by Mul"):
        optim.SGD([w * 2], lr=0.1)


def test_one_step_of_a_conv_net_matches_torch() -> None:
    torch = pytest.importorskip("torch")

    def ours_net() -> nn.Module:
        return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
                             nn.Conv2d(8, 4, 3, stride=2, padding=1), nn.AdaptiveAvgPool2d(1), nn.Flatten())

    tn = torch.nn
    theirs = tn.Sequential(tn.Conv2d(3, 8, 3, padding=1, bias=False), tn.BatchNorm2d(8), tn.ReLU(),
                           tn.Conv2d(8, 4, 3, stride=2, padding=1), tn.AdaptiveAvgPool2d(1), tn.Flatten())
    ours = ours_net()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x, y = randn(6, 3, 8, 8, dtype=np.float32), np.array([0, 1, 2, 3, 0, 1])
    opt_o = optim.SGD(ours.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    opt_t = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    for _ in range(2):  # the second step exercises the momentum buffers
        opt_o.zero_grad(), opt_t.zero_grad()
        F.cross_entropy(ours(minires.tensor(x)), y).backward()
        torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y)).backward()
        opt_o.step(), opt_t.step()
    theirs_state = theirs.state_dict()
    for name, value in ours.state_dict().items():
        np.testing.assert_allclose(value.numpy(), theirs_state[name].numpy(), atol=1e-5, err_msg=name)


def test_tiny_convnet_overfits_random_images() -> None:
    minires.manual_seed(0)
    rng = np.random.default_rng(0)
    x = minires.tensor(rng.standard_normal((64, 3, 8, 8)).astype(np.float32))
    y = rng.integers(0, 10, 64)
    net = nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 4 * 4, 10),
    )
    opt = optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    for _ in range(150):
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()
    net.eval()
    assert F.accuracy(net(x), y) == 1.0


@pytest.mark.parametrize("settings", [dict(momentum=0.9, weight_decay=1e-4), dict(momentum=0.9, nesterov=True),
                                      dict(momentum=0.5, dampening=0.1, weight_decay=1e-2), dict()])
def test_flat_update_gives_the_same_bits_as_the_textbook_one(settings: dict) -> None:
    def trained(flat: bool) -> tuple[list[np.ndarray], dict]:
        minires.manual_seed(0)
        model = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(), nn.Linear(12, 2))
        opt = optim.SGD(optim.split_weight_decay(model.named_parameters(), settings.get("weight_decay", 0.0)),
                        lr=0.1, **{k: v for k, v in settings.items() if k != "weight_decay"})
        x = minires.tensor(randn(4, 2, 4, 4, dtype=np.float32))
        for _ in range(3):
            opt.zero_grad()
            F.cross_entropy(model(x), [0, 1, 1, 0]).backward()
            if flat:
                opt.step()
            else:  # the per-parameter rule, parameter by parameter
                for key, p in enumerate(opt._params()):
                    group = next(g for g in opt.param_groups if any(q is p for q in g["params"]))
                    opt._update_one(p, key, group)
        return [p.numpy() for p in model.parameters()], opt.state_dict()

    (a, state_a), (b, state_b) = trained(True), trained(False)
    for pa, pb in zip(a, b):
        np.testing.assert_array_equal(pa, pb)
    for key in state_b["state"]:
        np.testing.assert_array_equal(state_a["state"][key]["momentum_buffer"],
                                      state_b["state"][key]["momentum_buffer"])


def test_flat_arrays_follow_a_reloaded_model_and_optimizer() -> None:
    model = nn.Linear(3, 2)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = minires.tensor(randn(4, 3, dtype=np.float32))
    model(x).sum().backward()
    opt.step()  # parameters are now views of one flat array
    saved_model, saved_opt = model.state_dict(), opt.state_dict()
    saved_model = {k: v.numpy().copy() for k, v in saved_model.items()}
    model.load_state_dict({k: np.zeros_like(v) for k, v in saved_model.items()})  # replaces every array
    opt.load_state_dict(saved_opt)
    model.weight.grad, model.bias.grad = minires.ones(2, 3), minires.ones(2)
    opt.step()
    buf = saved_opt["state"][0]["momentum_buffer"]
    np.testing.assert_allclose(model.weight.numpy(), -0.1 * (0.9 * buf + 1), rtol=1e-6)
    assert opt.state[0]["momentum_buffer"] is not None and np.all(model.weight.numpy() != 0)


def test_unusual_groups_take_the_per_parameter_path_and_give_its_numbers() -> None:
    def run(flat: bool) -> list[np.ndarray]:
        minires.manual_seed(0)
        a, b, c = (minires.randn(3, requires_grad=True) for _ in range(3))
        opt = optim.SGD([{"params": [a, b]}, {"params": []}, {"params": [c], "weight_decay": 0.1}],
                        lr=0.1, momentum=0.9)
        grads = [np.full(3, v, np.float32) for v in (0.5, -1.0, 2.0)]
        for step in range(3):
            for p, g in zip((a, b, c), grads):
                p.grad = minires.tensor(g * (step + 1)) if not (step == 0 and p is b) else None  # b: none at first
            if flat:
                opt.step()
            else:
                for key, p in enumerate((a, b, c)):
                    opt._update_one(p, key, opt.param_groups[0 if key < 2 else 2])
        return [p.numpy() for p in (a, b, c)]

    for got, want in zip(run(True), run(False)):
        np.testing.assert_array_equal(got, want)  # b's late momentum buffer is not overwritten


def test_a_gradient_of_another_dtype_keeps_the_parameters_dtype() -> None:
    p = minires.randn(4, requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=1e-2)
    p.grad = minires.tensor(np.ones(4, np.float16))
    opt.step()
    assert p.dtype == np.float32 and opt.state[0]["momentum_buffer"].dtype == np.float32
