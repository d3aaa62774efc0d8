import matplotlib.pyplot as plt
import pytest
import torch
import torch.nn as nn

from isolearn import seed
from isolearn.data import loader, toy2d
from isolearn.train import History, evaluate, fit


def mlp():
    return nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 2))


def test_fit_learns_moons_and_records_history():
    seed(0)
    train, test = toy2d("moons", n=400, noise=0.1, seed=0), toy2d("moons", n=200, noise=0.1, seed=1)
    model = mlp()
    history = fit(model, train, test, epochs=30, lr=1e-2, device=torch.device("cpu"))
    assert history.epochs == 30 and len(history.test_acc) == 30
    assert history.test_acc[-1] > 0.95 and history.train_loss[-1] < history.train_loss[0] / 3
    assert all(b >= a for a, b in zip(history.seconds, history.seconds[1:]))
    assert evaluate(model, test)[1] == pytest.approx(history.test_acc[-1])
    assert "30 epochs" in str(history)


def test_fit_is_reproducible_and_accepts_loaders():
    data = toy2d("blobs", n=200, classes=3, noise=0.2)
    runs = []
    for _ in range(2):
        seed(1)
        runs.append(fit(mlp_3 := nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 3)),
                        loader(data, 50, shuffle=True, seed=2), epochs=3, progress=False, device=torch.device("cpu")))
    assert runs[0].train_loss == runs[1].train_loss and runs[0].test_acc == []
    assert next(mlp_3.parameters()).device.type == "cpu"


def test_static_mode_prints_one_summary_line(capsys, monkeypatch):
    monkeypatch.setenv("ISOLEARN_STATIC", "1")
    fit(mlp(), toy2d(n=64), epochs=2, device=torch.device("cpu"))
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("History(2 epochs")


@pytest.mark.parametrize("kwargs, word", [(dict(epochs=0), "epochs"), (dict(lr=0.0), "lr")])
def test_fit_bad_input(kwargs, word):
    with pytest.raises(ValueError, match=word):
        fit(mlp(), toy2d(n=32), **kwargs)


def test_history_plot():
    h = History([1.0, 0.5], [0.5, 0.8], [1.1, 0.6], [0.4, 0.7], [0.1, 0.2])
    axes = h.plot(label="run")
    assert [len(ax.lines) for ax in axes] == [2, 2]
    assert axes[0].get_legend().get_texts()[0].get_text() == "run train"
    plt.close("all")
    assert str(History()) == "History(no epochs)"


def test_cosine_schedule_ends_near_zero_and_is_validated(monkeypatch):
    rates = []
    step = torch.optim.AdamW.step

    def spy(self, *args, **kwargs):
        rates.append(self.param_groups[0]["lr"])
        return step(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.AdamW, "step", spy)
    fit(mlp(), toy2d(n=64), epochs=4, batch_size=16, lr=1e-2, schedule="cosine",
        device=torch.device("cpu"), progress=False)
    assert len(rates) == 16 and rates[0] == 1e-2
    assert all(b < a for a, b in zip(rates, rates[1:])) and rates[-1] < 0.01 * rates[0]
    rates.clear()
    fit(mlp(), toy2d(n=64), epochs=2, batch_size=16, lr=1e-2, device=torch.device("cpu"), progress=False)
    assert rates == [1e-2] * 8  # the default stays constant
    with pytest.raises(ValueError, match="schedule"):
        fit(mlp(), toy2d(n=32), schedule="step")
