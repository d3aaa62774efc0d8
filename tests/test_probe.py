"""Linear probes: ridge regression in its two equal forms, and the two read-outs."""

import pytest
import torch

from isolearn import probe


def test_primal_and_dual_ridge_agree_with_least_squares():
    gen = torch.Generator().manual_seed(0)
    z = torch.randn(30, 8, generator=gen)
    y = torch.randn(30, 3, generator=gen)
    wide = torch.cat([z, torch.randn(30, 40, generator=gen)], dim=1)  # 48 features > 30 rows: dual
    for features in (z, wide):
        predict = probe.ridge(features, y, alpha=0.5)
        design = (features - features.mean(0)) / features.std()  # one scale for all
        design = torch.cat([design, torch.ones(30, 1)], dim=1).double()
        d = design.shape[1]
        # ridge = least squares on the design stacked over sqrt(alpha)·I (targets 0 there)
        w = torch.linalg.lstsq(torch.cat([design, 0.5 ** 0.5 * torch.eye(d, dtype=torch.float64)]),
                               torch.cat([y.double(), torch.zeros(d, 3, dtype=torch.float64)])).solution
        torch.testing.assert_close(predict(features), design @ w, rtol=1e-4, atol=1e-4)


def test_read_out_sees_separable_labels_and_recoverable_images():
    gen = torch.Generator().manual_seed(1)
    y = torch.arange(200) % 4
    centres = 3 * torch.randn(4, 10, generator=gen)
    x = centres[y] + 0.3 * torch.randn(200, 10, generator=gen)  # separable classes
    accuracy, r2 = probe.read_out(x[:150], y[:150], x[:150], x[150:], y[150:], x[150:], alpha=1e-3)
    assert accuracy == 1.0 and r2 > 0.999
    noise = torch.randn(200, 10, generator=gen)  # features that know nothing
    accuracy, r2 = probe.read_out(noise[:150], y[:150], x[:150], noise[150:], y[150:], x[150:])
    assert accuracy < 0.5 and r2 < 0.1
    with pytest.raises(ValueError, match="alpha"):
        probe.ridge(x, x, alpha=0)
    with pytest.raises(ValueError, match="targets"):
        probe.ridge(x, x[:5])
