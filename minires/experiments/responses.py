"""The layer-response analysis (the paper's Fig. 7) on trained checkpoints.

The response of a 3×3 layer is the output of its batch norm, before the
ReLU and before the shortcut addition (``minires.models.ResponseRecorder``).
The paper leaves three choices open; minires's defaults, and the options:

* which layers: every 3×3 convolution, the stem included (6n + 1 layers for
  depth 6n + 2);
* the statistic: the std of *all* the layer's response values over the test
  set, pooled over channels and positions (``per_channel=True`` instead
  averages the stds of the individual channels);
* batch norm in evaluation mode, i.e. with its running statistics
  (``bn_mode="batch"`` normalises each test batch with its own statistics,
  without touching the running estimates).

Cross-check: after BN a channel's std is close to |γ| of that BN, so the
per-channel figure should track the mean |γ| of the layer.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from minires import backend
from minires.checkpoint import atomic_write_bytes
from minires.data import batches_in_order
from minires.errors import InputError
from minires.experiments.plots import plot_responses
from minires.models import ResponseRecorder, response_layers
from minires.nn import BatchNorm2d, Module
from minires.tensor import Tensor, no_grad
from minires.train import load_test_set, load_trained


class _Moments:
    """Running sums for the std of each layer: pooled, or per channel (float64)."""

    def __init__(self, layers: int) -> None:
        self.count = [0] * layers
        self.sums: list[Any] = [0.0] * layers
        self.squares: list[Any] = [0.0] * layers

    def add(self, responses: list[Any]) -> None:
        """Add one batch of responses, each (N, C, H, W); sums are taken where the responses live."""
        for i, r in enumerate(responses):
            r = r.astype(np.float64)  # on a GPU only the (C,) sums ever come back to the host
            self.count[i] += r.shape[0] * r.shape[2] * r.shape[3]
            self.sums[i] = self.sums[i] + r.sum(axis=(0, 2, 3))
            # squared into r's own layout: a C-ordered copy (CuPy's r * r) would be summed in another order
            xp = backend.get_array_module(r)
            self.squares[i] = self.squares[i] + xp.multiply(r, r, out=xp.empty_like(r)).sum(axis=(0, 2, 3))

    def stds(self, per_channel: bool) -> list[float]:
        out = []
        sums, squares = [backend.to_numpy(s) for s in self.sums], [backend.to_numpy(q) for q in self.squares]
        for n, s, q in zip(self.count, sums, squares):
            if per_channel:
                var = q / n - (s / n) ** 2
                out.append(float(np.sqrt(np.maximum(var, 0)).mean()))
            else:
                channels = len(s)
                total, mean = n * channels, s.sum() / (n * channels)
                out.append(float(np.sqrt(max(q.sum() / total - mean**2, 0.0))))
        return out


def response_stds(model: Module, images: np.ndarray, batch_size: int = 500, per_channel: bool = False,
                  bn_mode: str = "eval", device: str = "cpu") -> tuple[list[str], list[float]]:
    """(layer names, std of each 3×3 layer's response) over ``images`` (normalised float32)."""
    if bn_mode not in ("eval", "batch"):
        raise ValueError(f"bn_mode must be 'eval' (running statistics) or 'batch', got {bn_mode!r}")
    bns = [m for m in model.modules() if isinstance(m, BatchNorm2d)]
    momenta = [bn.momentum for bn in bns]
    model.eval()
    if bn_mode == "batch":
        for bn in bns:  # batch statistics, running estimates left untouched
            bn.training, bn.momentum = True, 0.0
    moments = _Moments(len(response_layers(model)))
    try:
        names = _record_batches(model, images, batch_size, device, moments.add)
    finally:
        for bn, m in zip(bns, momenta):
            bn.momentum = m
        model.eval()
    return names, moments.stds(per_channel)


def _record_batches(model: Module, images: np.ndarray, batch_size: int, device: str,
                    on_batch: Callable[[list[Any]], None]) -> list[str]:
    """Run ``images`` through ``model`` in order, handing each batch's responses to ``on_batch``.

    ``on_batch`` gets one (B, C, H, W) array per 3×3 layer, where the model runs; returns the
    layers' names.
    """
    with ResponseRecorder(model, on_batch=on_batch) as recorder, no_grad():
        for x, _ in batches_in_order(images, np.zeros(len(images), np.int64), batch_size, device):
            model(Tensor(x))
    return recorder.names


def largest_responses(model: Module, images: np.ndarray, batch_size: int = 500,
                      device: str = "cpu") -> tuple[list[str], np.ndarray]:
    """(layer names, each image's largest |response| in each 3×3 layer), BN in evaluation mode.

    Args:
        images: (N, 3, H, W) normalised float32.

    Returns:
        the layer names and an (N, layers) float64 array: row n holds, for every layer, the
        largest absolute value of image n's response (over its channels and positions).
    """
    if len(images) == 0:
        raise InputError(f"expected at least one image, got an array of shape {tuple(np.shape(images))}")
    model.eval()
    rows: list[np.ndarray] = []  # one (B, layers) block per batch
    names = _record_batches(model, images, batch_size, device, lambda responses: rows.append(np.stack(
        [backend.to_numpy(abs(r).reshape(r.shape[0], -1).max(axis=1)) for r in responses], axis=1)))
    return names, np.concatenate(rows).astype(np.float64)


def extreme_images(largest: np.ndarray, factor: float = 10.0) -> np.ndarray:
    """Indices of the images whose response somewhere is out of all proportion to the others'.

    A std pooled over a whole test set is a mean of squares: a few images whose responses
    run to thousands can outweigh ten thousand that stay below ten.  An image counts as
    extreme when, in some layer, its largest |response| exceeds ``factor`` times that layer's
    median over images of the same quantity.

    Args:
        largest: (N, layers), from ``largest_responses``.
        factor: how many times the median largest response counts as extreme.

    Returns:
        the indices (into the N images) of the extreme ones, ascending.
    """
    if not factor > 1:
        raise InputError(f"factor must be a number above 1, got {factor!r}")
    typical = np.median(largest, axis=0)  # (layers,)
    return np.flatnonzero((largest > factor * typical).any(axis=1))


def _shown(path: str | Path) -> str:
    """``path`` relative to the working directory when it lies below it (so a file written inside a
    project names its runs the same way on every machine), else as given."""
    relative = os.path.relpath(Path(path).absolute())
    return relative if not relative.startswith("..") else str(path)


def _saved_networks(path: Path, settings: dict[str, str]) -> dict[str, dict[str, Any]]:
    """label -> saved entry of a responses.json written with ``settings``; {} when there is none."""
    try:
        saved = json.loads(path.read_text())
        if saved["settings"] != settings:
            return {}
        return {label: {**r, "limit": r.get("limit")} for label, r in saved["networks"].items()
                if isinstance(r["run"], str) and isinstance(r["std"], list) and isinstance(r["layers"], list)}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}  # not there, or not a file this function wrote: measure everything


def responses(run_dirs: Sequence[str | Path], out: str | Path, data: str | None = None, per_channel: bool = False,
              bn_mode: str = "eval", limit: int | None = None, device: str = "cpu",
              labels: Sequence[str] | None = None, styles: dict[str, tuple[str, str]] | None = None,
              reuse: bool = False) -> dict[str, list[float]]:
    """Fig. 7 for trained runs: writes ``fig7.png/.svg``, ``responses.json`` and ``responses.csv``.

    Each run is named by its network (``"resnet20"``; the run folder's name is added when two runs
    share a network) unless ``labels`` names them, one label per run; ``styles`` as in
    ``plot_responses``.  Returns label -> the std of each 3×3 layer's response, in layer order.

    With ``reuse=True`` a run that ``out``/responses.json already holds under the same label, from
    the same run folder, with the same statistic, BN mode and ``limit``, keeps its saved values
    without reading the test set again (a finished run's weights no longer change); the others
    are measured.
    """
    out = Path(out)
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise InputError(f"limit must be a whole number of test images >= 1, got {limit!r}")
    if labels is not None and (len(labels) != len(run_dirs) or len(set(labels)) != len(labels)):
        raise InputError(f"expected one distinct label per run ({len(run_dirs)} runs), got {list(labels)!r}")
    settings = {"statistic": "mean of per-channel stds" if per_channel else "std pooled over all values",
                "bn_mode": bn_mode, "layers": "every 3x3 conv's BN output, stem included, before ReLU/addition"}
    saved = _saved_networks(out / "responses.json", settings) if reuse else {}
    results: dict[str, dict[str, Any]] = {}
    for k, run in enumerate(run_dirs):
        model, state = load_trained(run, device)
        config = state["config"]
        label = (labels[k] if labels is not None else config["model"] if config["model"] not in results
                 else f"{config['model']} ({Path(run).name})")
        known = saved.get(label)
        if known is not None and Path(known["run"]).parts[-3:] == Path(run).parts[-3:] and known["limit"] == limit:
            results[label] = known
            continue
        images, _ = load_test_set(state, data)
        images = images[:limit] if limit is not None else images
        names, stds = response_stds(model, images, per_channel=per_channel, bn_mode=bn_mode, device=device)
        results[label] = {"run": _shown(run), "layers": names, "std": stds, "images": len(images), "limit": limit}
    atomic_write_bytes(out / "responses.json", (json.dumps({"settings": settings, "networks": results},
                                                           indent=2) + "\n").encode())
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["network", "layer_index", "layer", "std"])
    for label, r in results.items():
        for i, (name, value) in enumerate(zip(r["layers"], r["std"]), start=1):
            writer.writerow([label, i, name, f"{value:.6f}"])
    atomic_write_bytes(out / "responses.csv", buffer.getvalue().encode())
    stds = {label: r["std"] for label, r in results.items()}
    plot_responses(stds, out / "fig7", ylabel="std of response" + (" (per-channel mean)" if per_channel else ""),
                   styles=styles)
    return stds
