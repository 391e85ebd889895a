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

from minires.experiments.findings import degradation_findings, response_findings

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

    rows = json.loads((DOCS / "table.json").read_text())
    stds = {k: v["std"] for k, v in json.loads((DOCS / "responses.json").read_text())["networks"].items()}
    for finding in degradation_findings(rows) + response_findings(stds):
        print(finding.line())
    print(f"copied into {DOCS}")


if __name__ == "__main__":
    main()
