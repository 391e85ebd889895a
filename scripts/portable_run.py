"""Make a run folder safe to publish: no paths of the machine it ran on, and no more than it needs.

    python scripts/portable_run.py RUN_DIR [RUN_DIR ...]

In ``config.json`` and the checkpoint's copy of the settings, ``out`` becomes the
folder's path relative to the current directory and ``data`` becomes null
(minires then looks in $MINIRES_DATA and ~/.cache/minires; ``--data`` on resume
overrides it), unless it was the embedded ``sample``.  A finished run's checkpoint
keeps its final weights only (``minires.train.final_weights``: no momentum).  An
unfinished run changes in nothing else, so it resumes exactly.  Do not run it on a
folder that is training.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from minires import checkpoint
from minires.train import CHECKPOINT, CONFIG, TrainConfig, final_weights


def portable(values: dict, folder: Path) -> dict:
    return {**values, "out": os.path.relpath(folder), "data": values["data"] if values["data"] == "sample" else None}


def main(folders: list[str]) -> None:
    for folder in map(Path, folders):
        config = TrainConfig.load(folder / CONFIG)
        TrainConfig.from_dict(portable(config.to_dict(), folder)).save(folder / CONFIG)
        if (folder / CHECKPOINT).exists():
            state = checkpoint.load(folder / CHECKPOINT)
            state["config"] = portable(state["config"], folder)
            checkpoint.save(folder / CHECKPOINT, final_weights(state) if state.get("finished") else state)
        print(f"{folder}: paths made portable")


if __name__ == "__main__":
    main(sys.argv[1:])
