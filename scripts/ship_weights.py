"""Ship finished runs' weights inside the package, for ``models.resnet20(weights="cpu")``.

    python scripts/ship_weights.py RUN_DIR [RUN_DIR ...]

Copies each finished run's final checkpoint to minires/models/weights/<model>-<variant>.npz
(variant: the recipe, ``cpu`` for 8,000 iterations or ``quarter`` for 16,000, and ``-seedN``
for a seed other than 0; ``models.resnet20(weights="cpu-seed1")``) and writes its .json
beside it: the run's final errors, and the test error of the
shipped weights on the embedded sample's 1,000 test images, which tests/test_weights.py
checks again on every run of the test suite.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from minires import checkpoint, models
from minires.checkpoint import atomic_write_bytes
from minires.data import load_sample
from minires.models.weights import SHIPPED
from minires.nn.functional import accuracy
from minires.tensor import Tensor, no_grad
from minires.train import CHECKPOINT, RESULT, final_weights

RECIPE_OF = {8000: "cpu", 16000: "quarter"}  # iterations -> the recipe that runs them


def sample_test_error(name: str, variant: str) -> float:
    """Test error of the shipped ``name`` weights on the embedded sample's test images."""
    model = models.get(name, weights=variant).eval()
    images, labels = load_sample("test")
    with no_grad():
        return 1.0 - accuracy(model(Tensor(model.normalizer(images))), labels)


def main(folders: list[str]) -> None:
    for folder in map(Path, folders):
        state = checkpoint.load(folder / CHECKPOINT)
        if not state.get("finished"):
            raise SystemExit(f"{folder} is not finished: ship only final weights")
        name, seed = state["config"]["model"], int(state["config"]["seed"])
        recipe = RECIPE_OF[int(state["config"]["iterations"])]
        variant = recipe if seed == 0 else f"{recipe}-seed{seed}"
        target = SHIPPED / f"{name}-{variant}.npz"
        checkpoint.save(target, final_weights(state))
        result = json.loads((folder / RESULT).read_text())
        info = {
            "model": name, "recipe": recipe, "seed": seed, "iterations": result["iteration"],
            "train_error": result["train_error"], "test_error": result["test_error"],
            "data": "CIFAR-10 (a copy whose images passed through JPEG at quality ~75)",
            "run": str(folder),
            "sample_test_error": sample_test_error(name, variant), "sample_test_images": 1000,
        }
        atomic_write_bytes(target.with_suffix(".json"), (json.dumps(info, indent=2) + "\n").encode())
        print(f"shipped {target} ({target.stat().st_size / 1e6:.1f} MB): test error {info['test_error']:.2%}, "
              f"on the sample {info['sample_test_error']:.2%}")


if __name__ == "__main__":
    main(sys.argv[1:])
