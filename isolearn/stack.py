"""Train many small models at once: ``fit_stack`` is ``fit`` for a list of models, vectorised.

Chapters 5 and 6 train the same small architecture many times: over seeds, to see the spread,
and over learning rates, to tune every family with the same budget. One model at a time, a tiny
network spends much of each step in Python and in kernels too small to keep the CPU busy.
``torch.func`` lets us stack the models instead: :func:`torch.func.stack_module_state` turns
``m`` models into one set of parameters with a leading model axis ``(m, ...)``, and
:func:`torch.func.vmap` runs the architecture once on all of them (a convolution becomes one
grouped convolution, a linear layer one batched matrix product). Every model still sees its own
batches, in the order that ``fit(model, ..., seed=s)`` would give it, and has its own learning
rate and weight decay: ``fit_stack`` computes what ``m`` calls of :func:`isolearn.train.fit`
compute (``tests/test_stack.py`` checks it, weight for weight), in one loop.

The optimiser is AdamW written out (Loshchilov & Hutter 2019, Algorithm 2, as
``torch.optim.AdamW`` implements it), because ``torch.optim`` takes one learning rate per
parameter group, and here every model has its own.
"""

from __future__ import annotations

import copy
import math
import time
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, stack_module_state, vmap
from torch.utils.data import DataLoader, Dataset

from isolearn.attention import MultiHeadSelfAttention
from isolearn.data import loader, tensors
from isolearn.runtime import device as best_device
from isolearn.train import History

BETAS, EPS = (0.9, 0.999), 1e-8  # torch.optim.AdamW's defaults, as fit() uses them


class _Indices(Dataset):
    """0..n-1 as a dataset, fetched a batch at a time (the loader's order, none of its copying)."""

    def __init__(self, n: int):
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> int:
        return i

    def __getitems__(self, indices: list[int]) -> list[int]:
        return indices


def batch_order(n: int, batch_size: int, seed: int) -> DataLoader:
    """Index batches ``(b,)``, a new shuffle each time it is iterated (once per epoch), in the
    order ``fit(..., batch_size=batch_size, seed=seed)`` draws its batches: the same shuffled
    :func:`isolearn.data.loader` (its sampler and generator), run over the indices 0..n-1."""
    reference = loader(_Indices(n), batch_size, shuffle=True, seed=seed)
    return DataLoader(reference.dataset, batch_size=batch_size, sampler=reference.sampler,
                      generator=reference.generator, collate_fn=torch.tensor)


def _per_model(value, m: int, name: str) -> torch.Tensor:
    values = [value] * m if isinstance(value, (int, float)) else list(value)
    if len(values) != m or any(not isinstance(v, (int, float)) or v < 0 for v in values):
        raise ValueError(f"fit_stack: {name}={value!r} must be a number >= 0 or one per model "
                         f"({m} numbers)")
    return torch.tensor(values, dtype=torch.float32)


def fit_stack(models: Sequence[nn.Module], train: Dataset, test: Dataset | None = None,
              epochs: int = 10, lr: float | Sequence[float] = 1e-3, batch_size: int = 64,
              weight_decay: float | Sequence[float] = 0.0, seeds: Sequence[int] | None = None,
              schedule: str = "constant", device: torch.device | None = None) -> list[History]:
    """Train ``models`` (one architecture, any initial weights) as ``m`` calls of
    ``fit(models[i], train, test, epochs, lr[i], batch_size, weight_decay[i], seed=seeds[i],
    schedule=schedule)`` would, all at once; ``lr`` and ``weight_decay`` are one number for all
    or one per model, ``seeds`` default to 0..m-1 (each fixes its model's batch order).

    The trained weights (and batch-norm statistics) are written back into ``models``. Returns one
    :class:`~isolearn.train.History` per model; its ``seconds`` are the wall time of the whole
    stack (the models train together), evaluation included, as in ``fit``.
    """
    models = list(models)
    m = len(models)
    if m == 0:
        raise ValueError("fit_stack: models is empty; pass a list of models of one architecture")
    shapes = [[(k, v.shape) for k, v in net.state_dict().items()] for net in models]
    if any(s != shapes[0] for s in shapes):
        raise ValueError("fit_stack: the models must share one architecture (the same parameter "
                         "names and shapes); build them with the same builder")
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"fit_stack: epochs={epochs!r} must be a positive int")
    if schedule not in ("constant", "cosine"):
        raise ValueError(f"fit_stack: schedule={schedule!r} must be 'constant' or 'cosine'")
    seeds = list(range(m)) if seeds is None else list(seeds)
    if len(seeds) != m:
        raise ValueError(f"fit_stack: seeds has {len(seeds)} entries for {m} models")
    device = device or best_device()
    lrs, decays = _per_model(lr, m, "lr").to(device), _per_model(weight_decay, m, "weight_decay").to(device)
    if (lrs <= 0).any():
        raise ValueError(f"fit_stack: lr={lr!r} must be > 0, e.g. 1e-3")

    x_all, y_all = (t.to(device) for t in tensors(train))  # (n, c, h, w), (n,)
    for net in models:
        net.to(device).train()
    params, buffers = stack_module_state(models)  # {name: (m, ...)}: leaves that we update
    arch = copy.deepcopy(models[0]).to("meta")  # the architecture alone, no storage
    for module in arch.modules():  # the fused attention kernel has no vmap rule; the
        if isinstance(module, MultiHeadSelfAttention):  # from-scratch one computes the same
            module.fast = False

    def forward(p, b, x):  # one model: x (b, c, h, w) -> logits (b, classes)
        return functional_call(arch, (p, b), (x,))

    names = list(params)
    weights = [params[k] for k in names]
    moments = [(torch.zeros_like(w), torch.zeros_like(w)) for w in weights]
    orders = [batch_order(len(y_all), batch_size, s) for s in seeds]
    steps_per_epoch = math.ceil(len(y_all) / batch_size)
    total = epochs * steps_per_epoch
    histories = [History() for _ in range(m)]
    step, start = 0, time.perf_counter()
    for _ in range(epochs):
        arch.train()
        loss_sum, correct = torch.zeros(m, device=device), torch.zeros(m, device=device)
        for batch in zip(*orders):  # one index batch per model
            idx = torch.stack(batch).to(device)  # (m, b)
            x, y = x_all[idx], y_all[idx]  # (m, b, c, h, w), (m, b)
            logits = vmap(forward)(params, buffers, x)  # (m, b, classes)
            losses = F.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="none")
            losses = losses.view(m, -1).mean(1)  # (m,): each model's mean loss
            grads = torch.autograd.grad(losses.sum(), weights)  # model i's gradient: its own loss
            step += 1
            factor = 0.5 * (1 + math.cos(math.pi * (step - 1) / total)) if schedule == "cosine" else 1.0
            _adamw_step(weights, grads, moments, lrs * factor, decays, step)
            with torch.no_grad():
                loss_sum += losses.detach() * idx.shape[1]
                correct += (logits.argmax(-1) == y).sum(1)
        for i, h in enumerate(histories):
            h.train_loss.append(loss_sum[i].item() / len(y_all))
            h.train_acc.append(correct[i].item() / len(y_all))
        if test is not None:
            test_loss, test_acc = _evaluate(forward, arch, params, buffers, test, device)
            for i, h in enumerate(histories):
                h.test_loss.append(test_loss[i])
                h.test_acc.append(test_acc[i])
        elapsed = time.perf_counter() - start
        for h in histories:
            h.seconds.append(elapsed)
    for i, net in enumerate(models):  # write the trained state back into each model
        net.load_state_dict({k: v[i].detach() for k, v in {**params, **buffers}.items()})
    return histories


@torch.no_grad()
def _adamw_step(weights, grads, moments, lrs: torch.Tensor, decays: torch.Tensor, step: int) -> None:
    """One AdamW step for every model: weights (m, ...), learning rates and decays (m,)."""
    beta1, beta2 = BETAS
    correction1, correction2 = 1 - beta1 ** step, math.sqrt(1 - beta2 ** step)
    for w, g, (mean, square) in zip(weights, grads, moments):
        shape = (-1,) + (1,) * (w.dim() - 1)  # (m, 1, 1, ...): broadcast over one model's weights
        lr = lrs.view(shape)
        w.mul_(1 - lr * decays.view(shape))  # decoupled weight decay
        mean.lerp_(g, 1 - beta1)  # first moment
        square.mul_(beta2).addcmul_(g, g, value=1 - beta2)  # second moment
        w.sub_(lr / correction1 * mean / (square.sqrt() / correction2 + EPS))


@torch.no_grad()
def _evaluate(forward, arch, params, buffers, data: Dataset, device, batch_size: int = 512):
    """Mean cross-entropy and accuracy of every model on ``data``: two lists of m floats."""
    arch.eval()
    x_all, y_all = (t.to(device) for t in tensors(data))
    m = next(iter(params.values())).shape[0]
    loss, correct = torch.zeros(m, device=device), torch.zeros(m, device=device)
    for i in range(0, len(y_all), batch_size):
        x, y = x_all[i:i + batch_size], y_all[i:i + batch_size]
        logits = vmap(forward, in_dims=(0, 0, None))(params, buffers, x)  # (m, b, classes)
        loss += F.cross_entropy(logits.flatten(0, 1), y.repeat(m), reduction="none").view(m, -1).sum(1)
        correct += (logits.argmax(-1) == y).sum(1)
    n = len(y_all)
    return (loss.double() / n).tolist(), (correct.double() / n).tolist()
