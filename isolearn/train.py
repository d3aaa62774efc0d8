"""Training: ``fit`` is the plain loop (forward, loss, backward, step) you can read on one screen."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

from isolearn.data import batched
from isolearn.runtime import device as best_device
from isolearn.runtime import static


@dataclass
class History:
    """What ``fit`` measured, one entry per epoch (test entries stay empty without a test set)."""

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)  # wall time since the start, per epoch

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    def __str__(self) -> str:
        if not self.epochs:
            return "History(no epochs)"
        test = f", test acc {self.test_acc[-1]:.3f}" if self.test_acc else ""
        return (f"History({self.epochs} epochs in {self.seconds[-1]:.1f} s: train loss "
                f"{self.train_loss[-1]:.3f}, train acc {self.train_acc[-1]:.3f}{test})")

    def time_to(self, accuracy: float) -> float | None:
        """Seconds of training until the test accuracy first reached ``accuracy`` (measured at
        the end of each epoch), or ``None`` if it never did."""
        for acc, seconds in zip(self.test_acc, self.seconds):
            if acc >= accuracy:
                return seconds
        return None

    def plot(self, axes=None, label: str = ""):
        """Loss (left) and accuracy (right) per epoch, train dashed and test solid."""
        import matplotlib.pyplot as plt

        if axes is None:
            _, axes = plt.subplots(1, 2, figsize=(9, 3.2), layout="constrained")
        epochs = range(1, self.epochs + 1)
        prefix = f"{label} " if label else ""
        for ax, train, test, name in ((axes[0], self.train_loss, self.test_loss, "loss"),
                                      (axes[1], self.train_acc, self.test_acc, "accuracy")):
            line, = ax.plot(epochs, train, "--", label=f"{prefix}train")
            if test:
                ax.plot(epochs, test, "-", color=line.get_color(), label=f"{prefix}test")
            ax.set(xlabel="epoch", ylabel=name)
            ax.grid(alpha=0.3)
            ax.legend(frameon=False)
        return axes


@torch.no_grad()
def evaluate(model: nn.Module, data: Dataset | DataLoader, device: torch.device | None = None,
             batch_size: int = 512) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``model`` on ``data`` (a Dataset or a DataLoader)."""
    device = device or next(model.parameters()).device
    batches = data if isinstance(data, DataLoader) else batched(data, batch_size, device=device)
    was_training = model.training
    model.eval()
    total_loss, correct, n = 0.0, 0, 0
    for x, y in batches:
        x, y = x.to(device), y.to(device)
        logits = model(x)  # (b, classes)
        total_loss += F.cross_entropy(logits, y, reduction="sum").item()
        correct += (logits.argmax(1) == y).sum().item()
        n += len(y)
    model.train(was_training)
    return total_loss / n, correct / n


def fit(model: nn.Module, train: Dataset | DataLoader, test: Dataset | DataLoader | None = None,
        epochs: int = 10, lr: float = 1e-3, batch_size: int = 64, weight_decay: float = 0.0,
        device: torch.device | None = None, seed: int = 0, progress: bool = True,
        schedule: str = "constant") -> History:
    """Train ``model`` for classification with AdamW and cross-entropy; evaluate after each epoch.

    ``train``/``test`` are Datasets (batched here, shuffled with ``seed``) or ready DataLoaders;
    a TensorDataset moves to ``device`` once and is sliced there (``data.DeviceBatches``: the
    same batches as a DataLoader's, without its per-image Python).
    ``schedule="cosine"`` lowers the learning rate from ``lr`` to 0 along half a cosine over all
    steps (Loshchilov & Hutter 2017), so the last epochs take small steps and the final weights
    (and batch-norm statistics) settle instead of jumping from epoch to epoch.
    Returns a :class:`History`. A progress bar shows the epochs: a widget in a live notebook,
    one summary line in the book and in tests.
    """
    from tqdm.auto import tqdm

    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"fit: epochs={epochs!r} must be a positive int")
    if lr <= 0:
        raise ValueError(f"fit: lr={lr!r} must be > 0, e.g. 1e-3")
    if schedule not in ("constant", "cosine"):
        raise ValueError(f"fit: schedule={schedule!r} must be 'constant' or 'cosine'")
    device = device or best_device()
    model.to(device)
    batches = (train if isinstance(train, DataLoader)  # tensors stay on the device (data.batched)
               else batched(train, batch_size, shuffle=True, seed=seed, device=device))
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    scheduler = (torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs * len(batches))
                 if schedule == "cosine" else None)
    history, start = History(), time.perf_counter()
    bar = tqdm(range(epochs), desc="epochs", disable=not progress or static())
    for _ in bar:
        model.train()
        total_loss, correct, n = 0.0, 0, 0
        for x, y in batches:
            x, y = x.to(device), y.to(device)
            logits = model(x)  # (b, classes)
            loss = F.cross_entropy(logits, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            total_loss += loss.item() * len(y)
            correct += (logits.argmax(1) == y).sum().item()
            n += len(y)
        history.train_loss.append(total_loss / n)
        history.train_acc.append(correct / n)
        if test is not None:
            test_loss, test_acc = evaluate(model, test, device)
            history.test_loss.append(test_loss)
            history.test_acc.append(test_acc)
        history.seconds.append(time.perf_counter() - start)
        bar.set_postfix(loss=f"{history.train_loss[-1]:.3f}",
                        **({"test_acc": f"{history.test_acc[-1]:.3f}"} if test is not None else {}))
    if progress and static():
        print(history)
    return history
