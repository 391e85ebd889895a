"""Copy a degradation + responses experiment into docs/reproduction/ and print the paper's checks.

    python scripts/collect_reproduction.py EXPERIMENT_DIR RESPONSES_DIR [PER_CHANNEL_DIR]

Copies fig6.png/svg, table.md/json, each run's metrics.jsonl, result.json and config.json (not the
checkpoints), fig7.png/svg and responses.json/csv, then prints, from those files, whether each
finding of the paper appeared.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs" / "reproduction"


def copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)


def main() -> None:
    experiment, responses = Path(sys.argv[1]), Path(sys.argv[2])
    per_channel = Path(sys.argv[3]) if len(sys.argv) > 3 else None
    for name in ("fig6.png", "fig6.svg", "table.md", "table.json"):
        copy(experiment / name, DOCS / name)
    for run in sorted((experiment / "runs").iterdir()):
        for name in ("metrics.jsonl", "result.json", "config.json"):
            if (run / name).exists():
                copy(run / name, DOCS / "runs" / run.name / name)
    for name in ("fig7.png", "fig7.svg", "responses.json", "responses.csv"):
        copy(responses / name, DOCS / name)
    if per_channel is not None:
        for name in ("fig7.png", "responses.json"):
            copy(per_channel / name, DOCS / "per-channel" / name)

    rows = {r["network"]: r for r in json.loads((DOCS / "table.json").read_text())}
    stds = {k: v["std"] for k, v in json.loads((DOCS / "responses.json").read_text())["networks"].items()}

    def check(text: str, ok: bool, detail: str) -> None:
        print(f"[{'yes' if ok else 'NO '}] {text}: {detail}")

    if {"plain20", "plain56"} <= rows.keys():
        a, b = rows["plain56"]["train_error_mean"], rows["plain20"]["train_error_mean"]
        check("plain-56 training error above plain-20's", a > b, f"{a:.2f}% vs {b:.2f}%")
        a, b = rows["plain56"]["test_error_mean"], rows["plain20"]["test_error_mean"]
        check("plain-56 test error above plain-20's", a > b, f"{a:.2f}% vs {b:.2f}%")
    if {"resnet20", "resnet56"} <= rows.keys():
        a, b = rows["resnet56"]["train_error_mean"], rows["resnet20"]["train_error_mean"]
        check("ResNet-56 training error at or below ResNet-20's", a <= b, f"{a:.2f}% vs {b:.2f}%")
        a, b = rows["resnet56"]["test_error_mean"], rows["resnet20"]["test_error_mean"]
        check("ResNet-56 test error at or below ResNet-20's", a <= b, f"{a:.2f}% vs {b:.2f}%")
    mean = {k: sum(v) / len(v) for k, v in stds.items()}
    for depth in (20, 56):
        r, p = f"resnet{depth}", f"plain{depth}"
        if r in mean and p in mean:
            check(f"ResNet-{depth} responses smaller than plain-{depth}'s (mean std)", mean[r] < mean[p],
                  f"{mean[r]:.3f} vs {mean[p]:.3f}")
    if "resnet20" in mean and "resnet56" in mean:
        check("ResNet-56 responses smaller than ResNet-20's (mean std)", mean["resnet56"] < mean["resnet20"],
              f"{mean['resnet56']:.3f} vs {mean['resnet20']:.3f}")
    print(f"copied into {DOCS}")


if __name__ == "__main__":
    main()
