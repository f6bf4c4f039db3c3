"""LIC statistics as tensor operations over a class x vocabulary count matrix. No I/O.

LIC (per class c, word w), as in the source notebook::

    tf[c, w]   = count[c, w] / total[c]
    idf[w]     = ln(C / (1 + #classes with tf > 0)) + 1
    z[c, w]    = (tf[c, w] - mean_{k != c} tf[k, w]) / std_{k != c, ddof=1} tf[k, w]
    LIC[c, w]  = z[c, w] * idf[w]          (undefined, NaN, where that std is 0)

With two classes the leave-one-class-out std has one value and is always undefined; the
``log_odds`` method (Monroe et al. 2008, log-odds ratio with an informative Dirichlet prior,
class vs rest, as a z-score) is defined for any number of classes >= 2.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from functools import cached_property
from itertools import chain, islice
from typing import Any, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd
import torch

from lic_gpu.device import as_device
from lic_gpu.errors import LicGpuError
from lic_gpu.threads import one_cpu_thread

log = logging.getLogger(__name__)

LIC_METHODS = ("seed", "log_odds")
LIC_DTYPES = {"float64": torch.float64, "float32": torch.float32}


def check_lic_method(method: str) -> str:
    """Validate ``lic.method``."""
    if method not in LIC_METHODS:
        raise LicGpuError(f"lic.method must be one of {list(LIC_METHODS)}; got {method!r}")
    return method


# Below this many matrix cells, CPU ops are a few microseconds each and OpenMP's fork/join costs
# more than it saves (10x slower on a loaded 2-core machine), so LIC runs on one thread.
_SINGLE_THREAD_CELLS = 4_000_000


def count_matrix(
    token_ids: torch.Tensor, token_class: torch.Tensor, n_classes: int, n_words: int, dtype: torch.dtype = torch.float64
) -> torch.Tensor:
    """Class x vocabulary counts in one ``bincount`` over flattened (class, word) ids.

    Parameters
    ----------
    token_ids, token_class : 1-D int64 tensors of equal length
        Vocabulary id and class index of every token occurrence.
    """
    flat = token_class * n_words + token_ids
    counts = torch.bincount(flat, minlength=n_classes * n_words)
    return counts.reshape(n_classes, n_words).to(dtype)


def _sequential_sum(rows: torch.Tensor) -> torch.Tensor:
    """Sum over dim 0 adding rows in order, the order pandas/NumPy use for a few classes.

    Keeping the order makes "all other classes equal" give a std of exactly 0, as in the notebook.
    """
    out = torch.zeros_like(rows[0])
    for r in rows:
        out = out + r
    return out


def lic_from_counts(counts: torch.Tensor, n_classes_total: int | None = None) -> torch.Tensor:
    """The notebook's LIC from a class x vocabulary count matrix.

    Parameters
    ----------
    counts : (K, V) float tensor
        Rows are classes; classes with no token at all get an all-NaN row (the notebook leaves
        them out of its pivot table, but still counts them in ``C``).
    n_classes_total : int, optional
        ``C`` in the idf; defaults to ``K``.

    Returns
    -------
    (K, V) tensor, NaN where LIC is undefined.
    """
    k_all, v = counts.shape
    c_total = k_all if n_classes_total is None else n_classes_total
    totals = counts.sum(dim=1)
    present = totals > 0
    tf = counts[present] / totals[present].unsqueeze(1)
    k = tf.shape[0]
    out = torch.full_like(counts, float("nan"))
    if k < 2 or v == 0:
        return out
    df = (tf > 0).sum(dim=0).to(counts.dtype)
    idf = torch.log(c_total / (1.0 + df)) + 1.0
    n_other = k - 1
    lic = torch.empty_like(tf)
    for c in range(k):
        others = torch.cat([tf[:c], tf[c + 1 :]])
        mean = _sequential_sum(others) / n_other
        if n_other > 1:
            var = _sequential_sum((mean - others) ** 2) / (n_other - 1)
            std = torch.sqrt(var)
            std = torch.where(std == 0, torch.full_like(std, float("nan")), std)
        else:
            std = torch.full_like(mean, float("nan"))
        lic[c] = (tf[c] - mean) / std * idf
    out[present] = lic
    return out


def log_odds_from_counts(counts: torch.Tensor, prior: float = 0.01) -> torch.Tensor:
    """Class-vs-rest log-odds z-scores with an informative Dirichlet prior (Monroe et al. 2008).

    Defined with two classes, where the notebook's LIC is not. ``prior`` scales the corpus-wide
    word frequencies into pseudo-counts (``alpha_w = prior * total * p_w``; at least 0.01).
    """
    totals = counts.sum(dim=1, keepdim=True)
    word_totals = counts.sum(dim=0, keepdim=True)
    grand = word_totals.sum()
    alpha = torch.clamp(prior * word_totals, min=0.01)
    alpha0 = alpha.sum()
    rest = word_totals - counts
    rest_totals = grand - totals
    num_c = counts + alpha
    num_r = rest + alpha
    delta = torch.log(num_c / (totals + alpha0 - num_c)) - torch.log(num_r / (rest_totals + alpha0 - num_r))
    z = delta / torch.sqrt(1.0 / num_c + 1.0 / num_r)
    z[(totals.squeeze(1) == 0)] = float("nan")
    z[:, word_totals.squeeze(0) == 0] = float("nan")
    return z


@dataclass
class LicResult:
    """LIC values with the class order and vocabulary that index them.

    Attributes
    ----------
    values : (K, V) tensor, NaN where undefined (on the device it was computed on)
    counts : (K, V) tensor of token counts
    classes : list, sorted class labels (row order)
    vocab : list of str (column order)
    method : str
    """

    values: torch.Tensor
    counts: torch.Tensor
    classes: list
    vocab: list[str]
    method: str = "seed"

    @cached_property
    def class_index(self) -> dict:
        return {c: i for i, c in enumerate(self.classes)}

    @cached_property
    def word_index(self) -> dict[str, int]:
        # built on first use: most callers only need the tensor or to_dict()
        return {w: i for i, w in enumerate(self.vocab)}

    @property
    def n_defined(self) -> int:
        return int((~torch.isnan(self.values)).sum())

    def to_dict(self) -> dict[tuple[Any, str], float]:
        """``{(class, word): lic}`` for every defined value, as the notebook's ``compute_lic``."""
        vals = self.values.detach().cpu().numpy()
        rows, cols = np.nonzero(~np.isnan(vals))
        cls = np.array(self.classes, dtype=object)[rows].tolist()
        words = np.array(self.vocab, dtype=object)[cols].tolist()
        return dict(zip(zip(cls, words), vals[rows, cols].tolist()))

    def get(self, cls: Any, word: str, default: float = float("nan")) -> float:
        """LIC of ``word`` in ``cls`` (``default`` when unknown or undefined)."""
        r, c = self.class_index.get(cls), self.word_index.get(word)
        if r is None or c is None:
            return default
        v = float(self.host_values[r, c])
        return default if v != v else v

    @cached_property
    def host_values(self) -> np.ndarray:
        """``values`` as a NumPy array, copied from the device once (per-word look-ups on a CUDA
        tensor would each wait for the device)."""
        return self.values.detach().cpu().numpy()

    def ranked_words(self, cls: Any) -> Iterator[tuple[str, float]]:
        """Every defined LIC word of ``cls``, best first, ties by word, one at a time: a reader that
        wants the first few passing a filter orders only the ties it reaches."""
        row = self.host_values[self.class_index[cls]]
        ok = np.nonzero(~np.isnan(row))[0]
        order = ok[np.argsort(-row[ok], kind="stable")]
        ranked = row[order]
        # runs of equal LIC (a rare class has hundreds of words seen once, all equal) go by word
        ends = (np.flatnonzero(ranked[1:] != ranked[:-1]) + 1).tolist() + [len(order)]
        vocab, start = self.vocab, 0
        for end in ends:
            run = order[start:end].tolist()
            run.sort(key=vocab.__getitem__)
            for j in run:
                yield vocab[j], float(row[j])
            start = end

    def top_words(self, cls: Any, n: int = 10) -> list[tuple[str, float]]:
        """The ``n`` highest defined LIC words of ``cls``, best first (ties by word)."""
        return list(islice(self.ranked_words(cls), n))


def _sentences(samples: Sequence) -> list:
    """Accept ``[(tokens, row_index), ...]`` or ``[tokens, ...]``."""
    if not samples:
        return []
    first = samples[0]
    if isinstance(first, tuple) and len(first) == 2 and not isinstance(first[1], str):
        return [s[0] for s in samples]
    return list(samples)


def compute_lic(
    word_dict: Mapping[Any, Sequence],
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float64,
    method: str = "seed",
) -> LicResult:
    """LIC for a word dict shaped like the notebook's.

    Parameters
    ----------
    word_dict : mapping class -> list of ``(tokens, row_index)`` or of ``tokens``
    device : "cpu", "cuda" or torch.device
    dtype : float64 by default (parity with the notebook's pandas maths)
    method : "seed" (the notebook's LIC) or "log_odds" (defined for two classes)

    Returns
    -------
    LicResult
    """
    check_lic_method(method)
    dev = as_device(device)
    try:
        classes = sorted(word_dict)
    except TypeError:
        classes = list(word_dict)
    sents = [_sentences(word_dict[c]) for c in classes]
    lengths = np.array([len(t) for ss in sents for t in ss], dtype=np.int64)
    per_class = np.array([len(ss) for ss in sents], dtype=np.int64)
    flat = np.empty(int(lengths.sum()), dtype=object)
    flat[:] = list(chain.from_iterable(chain.from_iterable(sents)))
    codes, uniques = pd.factorize(flat, sort=False)
    sent_class = np.repeat(np.arange(len(classes)), per_class)
    token_class = np.repeat(sent_class, lengths)
    with one_cpu_thread(dev, enabled=len(classes) * len(uniques) <= _SINGLE_THREAD_CELLS):
        counts = count_matrix(
            torch.from_numpy(codes.astype(np.int64)).to(dev),
            torch.from_numpy(token_class).to(dev),
            len(classes),
            len(uniques),
            dtype,
        )
        return lic_for_counts(counts, classes, list(uniques), method)


def lic_for_counts(counts: torch.Tensor, classes: list, vocab: list[str], method: str = "seed") -> LicResult:
    """Wrap :func:`lic_from_counts` / :func:`log_odds_from_counts` in a :class:`LicResult`."""
    check_lic_method(method)
    if method == "seed":
        values = lic_from_counts(counts, n_classes_total=len(classes))
        n_with_tokens = int((counts.sum(dim=1) > 0).sum())
        if n_with_tokens == 2:
            warnings.warn(
                "LIC is undefined with two classes (the leave-one-class-out std has one "
                "value); every z-score is NaN. Use method='log_odds' for two classes.",
                stacklevel=2,
            )
    else:
        values = log_odds_from_counts(counts)
    return LicResult(values=values, counts=counts, classes=list(classes), vocab=list(vocab), method=method)
