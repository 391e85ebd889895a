"""CIFAR-10 and CIFAR-100: reading the official files safely, the embedded sample, preprocessing, loaders."""

from minires.data.cifar import (
    CLASSES,
    DATASETS,
    CifarFormatError,
    download,
    layout,
    load_cifar,
    load_cifar10,
    load_cifar100,
    load_sample,
    locate,
    safe_unpickle,
)
from minires.data.loader import BatchLoader, batches_in_order, prefetched
from minires.data.transforms import Normalizer, random_crop_flip

__all__ = [
    "CLASSES", "DATASETS", "CifarFormatError", "download", "layout", "load_cifar", "load_cifar10", "load_cifar100",
    "load_sample", "locate", "safe_unpickle",
    "BatchLoader", "batches_in_order", "prefetched", "Normalizer", "random_crop_flip",
]
