import random

import numpy as np
import pytest
import torch

from isolearn import __version__, device, in_colab, seed
from isolearn.runtime import static


def test_device_is_usable():
    d = device()
    assert d.type in ("cuda", "mps", "cpu")
    assert torch.ones(2, device=d).sum().item() == 2
    if torch.cuda.is_available():
        assert d.type == "cuda"


def test_seed_makes_every_generator_repeat():
    seed(3)
    first = (random.random(), np.random.rand(), torch.rand(1).item())
    seed(3)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == first


@pytest.mark.parametrize("bad", [-1, 1.5, "0"])
def test_seed_rejects_bad_values(bad):
    with pytest.raises(ValueError, match="seed"):
        seed(bad)


def test_in_colab_is_false_here():
    assert in_colab() is False


def test_static_follows_the_environment(monkeypatch):
    monkeypatch.setenv("ISOLEARN_STATIC", "1")
    assert static()
    for off in ("", "0", "false"):
        monkeypatch.setenv("ISOLEARN_STATIC", off)
        assert not static()


def test_version():
    assert __version__.count(".") == 2
