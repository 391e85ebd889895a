"""Optimisation: SGD with momentum and weight decay, and the learning-rate schedule."""

from minires.optim.schedule import LRSchedule
from minires.optim.sgd import SGD, split_weight_decay

__all__ = ["SGD", "LRSchedule", "split_weight_decay"]
