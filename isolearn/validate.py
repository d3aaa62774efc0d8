"""Checking arguments at the door: one small helper per kind of value, one message for all.

Every public function and configuration of the course checks its arguments before it does any
work, so that a bad value gets an answer that a reader can act on, not an error from deep inside
torch. Each message follows one pattern:

    <where>: <name>=<value> must be <what>, e.g. <a valid example>

``where`` is the function or class the reader called (``"MixerConfig"``, ``"fit"``), ``name`` the
parameter. Sizes and counts are ``int`` (not ``bool``, not ``float``: ``img_size=224.0`` is refused
with its fix); images are float tensors ``(b, c, h, w)`` of the model's dtype and device.

The helpers return the checked value, so a caller can write ``n = validate.positive_int(n, ...)``.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Sequence

import torch

class ArgumentTypeError(TypeError, ValueError):
    """An argument of the wrong type: a TypeError, as Python raises for one, that is also a
    ValueError, the course's error for every bad argument (so ``except ValueError`` catches all)."""


__all__ = ["ArgumentTypeError", "integer", "positive_int", "non_negative_int", "positive_ints", "number",
           "boolean", "seed", "fields", "describe", "tensor", "images", "like_model", "labels", "device",
           "dataset", "one_of", "function"]


def _example(name: str, example: Any) -> str:
    return "" if example is None else f", e.g. {name}={example!r}"


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _int(value: Any, name: str, where: str, minimum: int, what: str, example: Any) -> int:
    if _is_int(value) and value >= minimum:
        return int(value)
    hint = ""
    if isinstance(value, float) and value.is_integer() and value >= minimum:
        hint = f" (an int, not the float {value!r}: write {int(value)})"
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
        hint = f" (a number, not the string {value!r})"
    error = ArgumentTypeError if not _is_int(value) else ValueError
    raise error(f"{where}: {name}={value!r} must be {what}{hint}{_example(name, example)}")


def integer(value: Any, name: str, where: str, example: Any = None) -> int:
    """``value`` if it is an int (of any sign)."""
    return _int(value, name, where, -(2 ** 63), "an int", example)


def positive_int(value: Any, name: str, where: str, example: Any = None) -> int:
    """``value`` if it is an int >= 1; else a ValueError (or TypeError) that names it."""
    return _int(value, name, where, 1, "a positive int", example)


def non_negative_int(value: Any, name: str, where: str, example: Any = None) -> int:
    """``value`` if it is an int >= 0."""
    return _int(value, name, where, 0, "an int >= 0", example)


def positive_ints(value: Any, name: str, where: str, example: Any = (16, 32, 64),
                  allow_empty: bool = True) -> tuple[int, ...]:
    """A tuple or list of positive ints (one per stage or layer), returned as a tuple."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (tuple, list)):
        raise ArgumentTypeError(f"{where}: {name}={value!r} must be a tuple of positive ints, one per "
                        f"layer{_example(name, example)}")
    if not all(_is_int(v) and v >= 1 for v in value) or (not value and not allow_empty):
        raise ValueError(f"{where}: {name}={tuple(value)!r} must hold positive ints"
                         f"{' (at least one)' if not allow_empty else ''}{_example(name, example)}")
    return tuple(int(v) for v in value)


def number(value: Any, name: str, where: str, minimum: float | None = None,
           maximum: float | None = None, strict: bool = False, example: Any = None) -> float:
    """A finite real number (int or float, not bool), optionally within bounds:
    ``minimum <= value <= maximum`` (``strict=True``: ``minimum < value``)."""
    if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.requires_grad:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ArgumentTypeError(f"{where}: {name}={value!r} must be a number{_example(name, example)}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{where}: {name}={value!r} must be a finite number{_example(name, example)}")
    if minimum is not None and (value <= minimum if strict else value < minimum):
        bound = f"> {minimum:g}" if strict else f">= {minimum:g}"
        raise ValueError(f"{where}: {name}={value!r} must be {bound}{_example(name, example)}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{where}: {name}={value!r} must be <= {maximum:g}{_example(name, example)}")
    return value


def boolean(value: Any, name: str, where: str) -> bool:
    """``True`` or ``False`` only: a string such as ``'no'`` is truthy, and would mean yes."""
    if not isinstance(value, bool):
        raise ArgumentTypeError(f"{where}: {name}={value!r} must be True or False")
    return value


def seed(value: Any, name: str, where: str) -> int:
    """A seed: an int from 0 to 2**32 - 1 (NumPy's range); ``None`` is refused, because an
    unseeded run cannot be repeated."""
    if _is_int(value) and 0 <= value < 2 ** 32:
        return int(value)
    raise (ArgumentTypeError if not _is_int(value) else ValueError)(
        f"{where}: {name}={value!r} must be an int from 0 to 2**32 - 1, e.g. {name}=0 "
        "(the same seed gives the same run)")


def one_of(value: Any, choices: Sequence, name: str, where: str) -> Any:
    """``value`` if it is one of ``choices``."""
    if not isinstance(value, (str, int, float, bool, type(None))) or value not in choices:
        raise ValueError(f"{where}: {name}={value!r} must be one of {', '.join(map(repr, choices))}")
    return value


def function(value: Any, name: str, where: str, example: str = "torch.tanh") -> Any:
    """A callable. A class such as ``nn.Tanh`` gets the hint to pass an instance."""
    if isinstance(value, type):
        raise ArgumentTypeError(f"{where}: {name}={value.__name__} is a class; pass an instance or a "
                        f"function, e.g. {name}={value.__name__}() or {name}={example}")
    if not callable(value):
        raise ArgumentTypeError(f"{where}: {name}={value!r} must be a function, e.g. {name}={example}")
    return value


def fields(config: Any, names: Sequence[str], where: str | None = None) -> None:
    """Each of ``names`` on ``config`` (a dataclass) must be a positive int; the message names the
    field, its value and the default of the class as a valid example (for ``__post_init__``)."""
    where = where or type(config).__name__
    defaults = type(config).__dataclass_fields__
    for name in names:
        default = defaults[name].default if name in defaults else None
        positive_int(getattr(config, name), name, where, default)


# --- tensors -----------------------------------------------------------------------------------

def describe(value: Any) -> str:
    """"a tensor of shape (2, 3)", "a numpy.ndarray", "a list", "None": what a value is."""
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    if value is None:
        return "None"
    kind = f"{type(value).__module__.split('.')[0]}.{type(value).__name__}".replace("builtins.", "")
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def tensor(value: Any, name: str, where: str) -> torch.Tensor:
    """``value`` if it is a torch tensor; a NumPy array or a list gets the conversion to use."""
    if isinstance(value, torch.Tensor):
        return value
    fix = "torch.as_tensor(...)"
    if type(value).__module__.startswith("numpy"):
        fix = "torch.from_numpy(...).float()"
    raise ArgumentTypeError(f"{where}: {name} must be a torch tensor, got {describe(value)}; convert it with {fix}")


def _dtype_fix(got: torch.dtype, want: torch.dtype) -> str:
    if got == torch.uint8:
        return "raw pixels 0..255: convert with x.float() / 255"
    if not got.is_floating_point:
        return f"convert with x.float(){' / 255 if they are pixels' if got != torch.bool else ''}"
    if want == torch.float32:
        return "convert with x.float()" + (", or the model with model.double()" if got == torch.float64 else "")
    return f"convert with x.to({want}), or the model with model.to({got})"


def _autocast(device_type: str) -> bool:
    try:
        return torch.is_autocast_enabled(device_type)
    except TypeError:  # older torch: one flag for CUDA
        return torch.is_autocast_enabled()


def images(x: Any, where: str, channels: int | None = None, size: tuple[int, int] | None = None,
           model: torch.nn.Module | None = None, name: str = "x") -> torch.Tensor:
    """A batch of images ``(b, c, h, w)``: a tensor of rank 4, with ``channels`` channels and
    ``size = (h, w)`` if given, and with the dtype and device of ``model``'s parameters."""
    x = tensor(x, name, where)
    c = "c" if channels is None else channels
    if x.dim() != 4:
        fix = {3: f"; for one image (c, h, w) use {name}[None]",
               2: f"; for one grey image (h, w) use {name}[None, None]"}.get(x.dim(), "")
        raise ValueError(f"{where}: expected a batch of images (b, {c}, h, w), got shape "
                         f"{tuple(x.shape)}{fix}")
    if channels is not None and x.shape[1] != channels:
        raise ValueError(f"{where}: was built for in_chans={channels} but the images (b, c, h, w) = "
                         f"{tuple(x.shape)} have {x.shape[1]} channels; build it with "
                         f"in_chans={x.shape[1]}, or give the images {channels} channel{'s' * (channels != 1)}")
    if size is not None and tuple(x.shape[-2:]) != tuple(size):
        raise ValueError(f"{where}: was built for {size[0]}x{size[1]} images (img_size={size[0]}) "
                         f"but got {x.shape[-2]}x{x.shape[-1]} ({tuple(x.shape)}); resize the "
                         f"images, or build it with img_size={x.shape[-2]}")
    return like_model(x, model, where)


def like_model(x: torch.Tensor, model: torch.nn.Module | None, where: str,
               what: str = "the images") -> torch.Tensor:
    """``x`` on the device and of the dtype of ``model``'s parameters (float if it has none);
    under autocast any float dtype passes. The message says how to convert."""
    p = next(model.parameters(), None) if model is not None else None
    name = lambda dtype: str(dtype).replace("torch.", "")  # noqa: E731
    if p is not None:
        if x.device != p.device:
            raise ValueError(f"{where}: {what} are on {x.device} but the model is on {p.device}; "
                             f"move them with x.to({str(p.device)!r})")
        if x.dtype != p.dtype and not (x.is_floating_point() and _autocast(x.device.type)):
            raise ArgumentTypeError(f"{where}: {what} are {name(x.dtype)} but the model computes in "
                                    f"{name(p.dtype)}; {_dtype_fix(x.dtype, p.dtype)}")
    elif not x.is_floating_point():
        raise ArgumentTypeError(f"{where}: {what} are {name(x.dtype)}; {_dtype_fix(x.dtype, torch.float32)}")
    return x


def labels(y: Any, n: int, where: str, classes: int | None = None, name: str = "y") -> torch.Tensor:
    """Class labels ``(n,)``: integers (int64, or any int type) in 0..classes-1."""
    y = tensor(y, name, where)
    if y.is_floating_point() or y.dtype == torch.bool or y.is_complex():
        raise ArgumentTypeError(f"{where}: the labels {name} are {str(y.dtype).replace('torch.', '')}; class "
                        f"labels are integers: convert with {name}.long()")
    if y.shape != (n,):
        fix = f"; use {name}.flatten() or {name}[:, 0]" if y.numel() == n else ""
        raise ValueError(f"{where}: the labels {name} must have shape ({n},), one per image, got "
                         f"{tuple(y.shape)}{fix}")
    if classes is not None and n and y.device.type != "meta":
        low, high = int(y.min()), int(y.max())
        if low < 0 or high >= classes:
            raise ValueError(f"{where}: the labels run from {low} to {high}, but the model has "
                             f"{classes} outputs (classes 0..{classes - 1}); build it with "
                             f"num_classes={max(high + 1, classes)}")
    return y


def device(value: Any, where: str, name: str = "device") -> torch.device | None:
    """``None`` (the caller picks the best device), or a device this machine has."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, torch.device)):
        raise ArgumentTypeError(f"{where}: {name}={value!r} must be a device such as 'cpu' or 'cuda', or "
                        "None for the fastest one present")
    try:
        dev = torch.device(value)
    except (RuntimeError, ValueError):
        raise ValueError(f"{where}: {name}={value!r} is not a device; use 'cpu', 'cuda' or "
                         "'mps', or None for the fastest one present (isolearn.runtime.device())"
                         ) from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"{where}: {name}={value!r} but this machine has no CUDA GPU (or this "
                             f"torch build has no CUDA); use {name}='cpu', or None for the fastest "
                             "device present")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"{where}: {name}={value!r} but this machine has "
                             f"{torch.cuda.device_count()} CUDA GPU(s), numbered from 0")
    if dev.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ValueError(f"{where}: {name}={value!r} but this machine has no Apple-silicon GPU; "
                             f"use {name}='cpu', or None for the fastest device present")
    return dev


def dataset(data: Any, where: str, name: str = "data", pairs: bool = True) -> Any:
    """A non-empty Dataset or DataLoader whose items are pairs ``(image, label)``."""
    from torch.utils.data import DataLoader, Dataset

    if not isinstance(data, (Dataset, DataLoader)):
        fix = ("; for tensors x, y use torch.utils.data.TensorDataset(x, y)"
               if isinstance(data, (torch.Tensor, tuple, list)) else "")
        raise ArgumentTypeError(f"{where}: {name} must be a Dataset or a DataLoader, got {describe(data)}{fix}")
    items = data.dataset if isinstance(data, DataLoader) else data
    try:
        size = len(items)
    except TypeError:  # an iterable dataset: nothing to check before the first batch
        return data
    if size == 0:
        raise ValueError(f"{where}: {name} is empty (0 items)")
    if pairs:
        first = items[0]
        if not isinstance(first, (tuple, list)) or len(first) != 2:
            raise ValueError(f"{where}: each item of {name} must be a pair (image, label), but "
                             f"{name}[0] is {describe(first)}; for images x and labels y use "
                             "torch.utils.data.TensorDataset(x, y)")
    return data
