import pytest
import torch.nn as nn

from isolearn import models


@pytest.fixture
def toy_preset():
    name = "toy_mlp_for_tests"

    @models.register(name, "a tiny MLP, only for the registry's tests")
    def toy(num_classes: int = 10, width: int = 4) -> nn.Module:
        return nn.Sequential(nn.Linear(2, width), nn.ReLU(), nn.Linear(width, num_classes))

    yield name
    models._PRESETS.pop(name)


def test_create_with_and_without_overrides(toy_preset):
    assert models.create(toy_preset)[-1].out_features == 10
    assert models.create(toy_preset, num_classes=3, width=7)[0].out_features == 7
    assert toy_preset in models.names()
    table = models.presets("toy_")
    assert table.column("name") == [toy_preset] and "registry" in table.column("description")[0]


def test_unknown_name_lists_close_matches(toy_preset):
    with pytest.raises(ValueError, match="did you mean toy_mlp_for_tests"):
        models.create("toy_mlp_for_test")
    with pytest.raises(ValueError, match="presets()"):
        models.create("zzz")


def test_unknown_override_lists_the_options(toy_preset):
    with pytest.raises(ValueError, match="no option 'depth'.*accepts num_classes, width"):
        models.create(toy_preset, depth=3)


def test_duplicate_registration_fails(toy_preset):
    with pytest.raises(ValueError, match="exists already"):
        models.register(toy_preset, "again")(lambda: nn.Identity())
