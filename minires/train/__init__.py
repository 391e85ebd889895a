"""Training: the config, the loop (resumable, observable), evaluation."""

from minires.train.config import TrainConfig
from minires.train.trainer import (
    CHECKPOINT,
    CONFIG,
    METRICS,
    RESULT,
    RunExists,
    TrainingDiverged,
    evaluate,
    final_weights,
    load_splits,
    load_test_set,
    load_trained,
    train,
)

__all__ = [
    "TrainConfig", "train", "evaluate", "load_splits", "load_test_set", "load_trained", "TrainingDiverged", "RunExists",
    "final_weights",
    "CONFIG", "METRICS", "CHECKPOINT", "RESULT",
]
