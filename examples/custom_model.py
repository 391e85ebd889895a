"""Define your own model with minires.nn and train it with a hand-written loop.

    python examples/custom_model.py

A small VGG-style net on the embedded CIFAR-10 sample: Module, layers, SGD with momentum, the
paper's learning-rate schedule object, evaluation in eval mode.
"""

import numpy as np

import minires
from minires import nn, optim
from minires.data import BatchLoader, Normalizer, load_sample
from minires.nn import functional as F


class SmallNet(nn.Module):
    """conv-BN-ReLU ×2 → pool → conv-BN-ReLU → global pool → fc."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x: minires.Tensor) -> minires.Tensor:
        return self.fc(self.features(x))


minires.manual_seed(0)
(train_x, train_y), (test_x, test_y) = load_sample("train"), load_sample("test")
normalize = Normalizer.fit(train_x)
loader = BatchLoader(normalize(train_x), train_y, batch_size=64, seed=0)
model = SmallNet()
opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
schedule = optim.LRSchedule(opt, 0.05, milestones=[60])
print(model, schedule, sep="\n")

for it, (x, y) in enumerate(loader.stream(0, 90), start=1):
    loss = F.cross_entropy(model(minires.Tensor(x)), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    schedule.step()
    if it % 15 == 0:
        print(f"iteration {it}: loss {loss.item():.3f}")

model.eval()
with minires.no_grad():
    logits = model(minires.tensor(normalize(test_x)))
print(f"test accuracy on {len(test_y)} images: {F.accuracy(logits, test_y):.1%}")
np.testing.assert_equal(logits.shape, (len(test_y), 10))
