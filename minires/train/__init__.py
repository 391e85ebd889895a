"""Training: the config, the loop (resumable, observable), the run folder, evaluation.

``config.py`` (the settings), ``runfolder.py`` (what a run folder holds and how to read it),
``trainer.py`` (the loop), ``callbacks.py`` / ``progress.py`` (watching a run), ``lock.py``.
"""

from minires.train.config import TrainConfig
from minires.train.runfolder import (
    CHECKPOINT,
    CONFIG,
    METRICS,
    RESULT,
    final_weights,
    load_test_set,
    load_trained,
    read_metrics,
)
from minires.train.trainer import RunExists, TrainingDiverged, evaluate, load_splits, train

__all__ = [
    "TrainConfig", "train", "evaluate", "load_splits", "load_test_set", "load_trained", "TrainingDiverged", "RunExists",
    "final_weights", "read_metrics",
    "CONFIG", "METRICS", "CHECKPOINT", "RESULT",
]
