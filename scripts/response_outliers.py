"""How much of each network's Fig. 7 response comes from a few test images.

    python scripts/response_outliers.py --data DIR --out docs/reproduction/budget-fig7/extreme-images.json RUN ...

For every run: the images whose response is extreme somewhere (``extreme_images``: over
ten times a layer's median largest response), their classes, the largest response of all,
and the mean over layers of the response std (pooled and per channel) on the whole test set
and without those images.  Writes the JSON and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

import numpy as np

from minires.checkpoint import atomic_write_bytes
from minires.data import CLASSES
from minires.experiments import extreme_images, largest_responses, response_stds
from minires.train import load_test_set, load_trained


def measure(run: str, data: str | None) -> dict:
    """The diagnostic of one run folder, over its full test set."""
    model, state = load_trained(run)
    images, labels = load_test_set(state, data)
    names, largest = largest_responses(model, images)
    extreme = extreme_images(largest)
    rest = np.setdiff1d(np.arange(len(images)), extreme)
    entry = {"run": run, "images": len(images), "extreme": len(extreme),
             "extreme_classes": dict(Counter(CLASSES[int(c)] for c in labels[extreme]).most_common()),
             "largest_response": float(largest.max()),
             "largest_in_layer": names[int(largest.max(axis=0).argmax())]}
    for key, per_channel in (("pooled", False), ("per_channel", True)):
        entry[f"{key}_all"] = float(np.mean(response_stds(model, images, per_channel=per_channel)[1]))
        entry[f"{key}_without"] = float(np.mean(response_stds(model, images[rest], per_channel=per_channel)[1]))
    return entry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="run folders")
    parser.add_argument("--data", help="CIFAR-10 location (default: where each run read it)")
    parser.add_argument("--out", required=True, help="JSON file to write")
    args = parser.parse_args()
    entries = [measure(run, args.data) for run in args.runs]
    atomic_write_bytes(Path(args.out), (json.dumps(entries, indent=2) + "\n").encode())
    print("| run | extreme images (of the test set) | their classes | largest response (layer) "
          "| mean std, pooled: all / without them | per channel: all / without them |")
    print("|---|---|---|---|---|---|")
    for e in entries:
        classes = ", ".join(f"{name} {n}" for name, n in e["extreme_classes"].items()) or "–"
        print(f"| {e['run']} | {e['extreme']} of {e['images']:,} | {classes} | {e['largest_response']:,.1f} "
              f"({e['largest_in_layer']}) | {e['pooled_all']:.3f} / {e['pooled_without']:.3f} "
              f"| {e['per_channel_all']:.3f} / {e['per_channel_without']:.3f} |")


if __name__ == "__main__":
    main()
