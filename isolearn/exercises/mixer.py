"""Chapter 4 exercises: a Mixer block, the parameter count, the transpose trick."""

from __future__ import annotations

import torch
from einops import rearrange

from isolearn.exercises import Case, exercise
from isolearn.models.mixer import MixerBlock, MixerConfig, mixer_param_count, mlp


def _block(S: int, C: int, seed: int) -> MixerBlock:
    torch.manual_seed(seed)  # the checker forks the random state around the cases: the learner's is kept
    block = MixerBlock(S, C, tokens_mlp_dim=2 * S, channels_mlp_dim=3 * C)
    with torch.no_grad():  # non-trivial LayerNorm parameters, so that forgetting one shows
        for norm in (block.norm1, block.norm2):
            norm.weight.uniform_(0.5, 1.5)
            norm.bias.uniform_(-0.5, 0.5)
    return block.eval()


@exercise("mixer_block", "mixer_block(x, block) -> (b, S, C), using block.norm1, block.token_mlp, "
          "block.norm2 and block.channel_mlp", lambda x, block: block(x), sealed=(1,),
          forbid=("isolearn.models.mixer.MixerBlock.forward",))
def _mixer_block_cases() -> list[Case]:
    cases = []
    for n, (b, S, C) in enumerate([(1, 4, 3), (2, 9, 5), (3, 16, 8), (2, 5, 5)]):
        x = torch.randn(b, S, C, generator=torch.Generator().manual_seed(n))
        cases.append(Case((x, _block(S, C, n)), f"x: {tuple(x.shape)}, a MixerBlock(S={S}, C={C})"))
    return cases


def _mixer_params_reference(depth, patch_size, hidden_dim, num_tokens, tokens_mlp_dim, channels_mlp_dim,
                            in_chans=3):
    side = int(round(num_tokens ** 0.5)) * patch_size
    return mixer_param_count(MixerConfig(img_size=side, patch_size=patch_size, in_chans=in_chans,
                                         hidden_dim=hidden_dim, depth=depth, tokens_mlp_dim=tokens_mlp_dim,
                                         channels_mlp_dim=channels_mlp_dim))


@exercise("mixer_params", "mixer_params(depth, patch_size, hidden_dim, num_tokens, tokens_mlp_dim, "
          "channels_mlp_dim, in_chans=3) -> int (body, no head)", _mixer_params_reference,
          forbid=("isolearn.models.mixer.mixer_param_count", "isolearn.models.mixer.MLPMixer.__init__",
                  "isolearn.profile.count_params", "isolearn.models.create"))
def _mixer_params_cases() -> list[Case]:  # smallest first
    rows = [(1, 2, 4, 4, 3, 5, 2), (4, 1, 32, 64, 64, 64, 1), (8, 32, 512, 49, 256, 2048),
            (12, 16, 768, 196, 384, 3072), (32, 14, 1280, 256, 640, 5120)]
    names = "depth, patch_size, hidden_dim, num_tokens, tokens_mlp_dim, channels_mlp_dim, in_chans".split(", ")
    return [Case(r, ", ".join(f"{k}={v}" for k, v in zip(names, r))) for r in rows]


def _reshaped(case, got) -> str | None:
    """reshape (b, S, C) -> (b, C, S) instead of a transpose: the classic bug."""
    x, m = case.args
    b, S, C = x.shape
    with torch.no_grad():
        wrong = m(x.reshape(b, C, S)).reshape(b, S, C)
    if isinstance(got, torch.Tensor) and got.shape == wrong.shape and torch.allclose(got.detach(), wrong, atol=1e-5):
        return ("you reshaped (b, S, C) to (b, C, S): a reshape keeps the order of the values in memory, "
                "so it scrambles the table instead of turning it; use x.transpose(1, 2)")
    return None


@exercise("token_mixing", "token_mixing(x, token_mlp) -> (b, S, C), the MLP applied across tokens",
          lambda x, m: rearrange(m(rearrange(x, "b s c -> b c s")), "b c s -> b s c"), hint=_reshaped)
def _token_mixing_cases() -> list[Case]:
    cases = []
    for n, (b, S, C) in enumerate([(1, 4, 3), (2, 6, 5), (2, 16, 7)]):
        torch.manual_seed(10 + n)
        x = torch.randn(b, S, C)
        cases.append(Case((x, mlp(S, 2 * S)), f"x: {tuple(x.shape)}, token_mlp = mlp({S}, {2 * S})"))
    return cases
