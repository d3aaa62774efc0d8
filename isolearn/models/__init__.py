"""The model registry: every architecture of the course by its familiar name.

``create("resnet20")`` builds a preset exactly as its paper describes it; keyword overrides
(``num_classes=10, in_chans=1, img_size=32``, ...) adapt it to small experiments.
``presets()`` lists what is registered. Each architecture module registers its presets with
the :func:`register` decorator when it is imported (see the imports at the bottom).
"""

from __future__ import annotations

import difflib
import inspect
from dataclasses import dataclass, fields
from typing import Any, Callable

import torch.nn as nn

from isolearn.table import Table


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    build: Callable[..., nn.Module]

    @property
    def options(self) -> list[str]:
        """The overrides this preset accepts (its builder's keyword arguments)."""
        return [p.name for p in inspect.signature(self.build).parameters.values()
                if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]


_PRESETS: dict[str, Preset] = {}


def register(name: str, description: str) -> Callable[[Callable[..., nn.Module]], Callable[..., nn.Module]]:
    """Register ``fn(**overrides) -> nn.Module`` as preset ``name`` (one line of description)."""
    def decorate(fn: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        if name in _PRESETS:
            raise ValueError(f"register: a preset named {name!r} exists already")
        _PRESETS[name] = Preset(name, description, fn)
        return fn
    return decorate


def register_config(name: str, description: str, model: type[nn.Module], config: type, **shape: Any) -> None:
    """Register a preset of an architecture configured by a dataclass: ``shape`` fixes the
    paper's configuration, and every field of ``config`` remains an override, e.g.
    ``register_config("vit_base_patch16_224", "...", ViT, ViTConfig, embed_dim=768, ...)``."""
    def build(**overrides: Any) -> nn.Module:
        return model(config(**{**shape, **overrides}))

    build.__signature__ = inspect.Signature(  # what Preset.options and create() check against
        [inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=shape.get(f.name, f.default))
         for f in fields(config)])
    register(name, description)(build)


def create(name: str, **overrides: Any) -> nn.Module:
    """Build the preset ``name``, with keyword ``overrides`` of its configuration."""
    if not isinstance(name, str):
        raise ValueError(f"create: name={name!r} must be a preset's name (a str), e.g. "
                         "create('resnet20'); see isolearn.models.names()")
    if name not in _PRESETS:
        close = difflib.get_close_matches(str(name), _PRESETS, n=4, cutoff=0.5)
        hint = f"did you mean {', '.join(close)}?" if close else "see isolearn.models.presets()"
        raise ValueError(f"create: no model named {name!r}; {hint}")
    preset = _PRESETS[name]
    unknown = sorted(set(overrides) - set(preset.options))
    if unknown:
        raise ValueError(f"create: {name} has no option {', '.join(map(repr, unknown))}; "
                         f"it accepts {', '.join(preset.options) or 'no overrides'}")
    return preset.build(**overrides)


def presets(contains: str = "") -> Table:
    """A table of the registered presets (name, description), optionally filtered by name."""
    if not isinstance(contains, str):
        raise ValueError(f"presets: contains={contains!r} must be a str, part of a name, e.g. 'vit'")
    rows = [[p.name, p.description] for p in sorted(_PRESETS.values(), key=lambda p: p.name)
            if contains in p.name]
    return Table(["name", "description"], rows)


def names() -> list[str]:
    """The names of all registered presets, sorted."""
    return sorted(_PRESETS)


# Architecture modules register their presets on import; one line per module.
from isolearn.models import vit  # noqa: E402,F401
from isolearn.models import mixer  # noqa: E402,F401
from isolearn.models import cnn  # noqa: E402,F401
from isolearn.models import convmixer  # noqa: E402,F401
