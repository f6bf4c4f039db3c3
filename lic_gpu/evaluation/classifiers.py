"""The models fitted on every training set: TF-IDF + logistic regression and a mean-word-vector MLP (torch)
on the classes, TF-IDF + ridge regression on the raw ratings."""

from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
import torch

from lic_gpu.io.conf_files import FROM_CONFIG, FromConfig, given_or_default, primary_default
from lic_gpu.errors import LicGpuError
from lic_gpu.text import words_tokenise
from lic_gpu.threads import one_cpu_thread


CLASSIFIERS = ("tfidf_logreg", "mean_embedding_mlp")
REGRESSORS = ("tfidf_ridge",)
CLASSIFIER_LABELS = {
    "tfidf_logreg": "TF-IDF + logistic regression",
    "mean_embedding_mlp": "mean word vector + MLP (torch)",
    "tfidf_ridge": "TF-IDF + ridge regression (raw ratings)",
}
CLASSIFIER_SHORT = {"tfidf_logreg": "TF-IDF + LR", "mean_embedding_mlp": "vector MLP", "tfidf_ridge": "TF-IDF + ridge"}


def _tfidf(ngram_max: int, min_df: int):
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(ngram_range=(1, int(ngram_max)), min_df=int(min_df), sublinear_tf=True)


def _one_blas_thread():
    """BLAS and OpenMP on one thread while a linear model fits: its dense arrays (classes x features)
    are small, and on a loaded 2-core machine threading made a logistic regression on EmoBank's train
    part 10x slower (4.9 s against 0.46 s)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1)


class TfidfLogReg:
    """TF-IDF (word 1..``ngram_max``-grams, sublinear tf) + multinomial logistic regression."""

    name = "tfidf_logreg"

    def __init__(
        self,
        ngram_max: int | FromConfig = FROM_CONFIG,
        min_df: int | FromConfig = FROM_CONFIG,
        C: float | FromConfig = FROM_CONFIG,
        max_iter: int | FromConfig = FROM_CONFIG,
        seed: int = 0,
    ):
        from sklearn.linear_model import LogisticRegression

        conf = primary_default("evaluate", "tfidf")  # options left out: evaluate.yaml's tfidf
        ngram_max = given_or_default(ngram_max, conf, "ngram_max")
        min_df = given_or_default(min_df, conf, "min_df")
        C = given_or_default(C, conf, "C")
        max_iter = given_or_default(max_iter, conf, "max_iter")

        self.vectoriser = _tfidf(ngram_max, min_df)
        self.model = LogisticRegression(C=float(C), max_iter=int(max_iter), random_state=seed)

    def fit(self, texts: Sequence[str], labels: np.ndarray, sample_weight: np.ndarray | None = None) -> "TfidfLogReg":
        x = self.vectoriser.fit_transform(texts)
        with warnings.catch_warnings(), _one_blas_thread():
            warnings.simplefilter("ignore")  # lbfgs "did not converge" on a few-epoch budget is not an error
            self.model.fit(x, labels, sample_weight=sample_weight)
        return self

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        return self.model.predict(self.vectoriser.transform(texts))


class TfidfRidge:
    """TF-IDF (as :class:`TfidfLogReg`'s) + ridge regression on the raw ratings: EmoBank's usual task
    (dimensional regression). A new row is fitted on its source's rating."""

    name = "tfidf_ridge"

    def __init__(
        self,
        alpha: float | FromConfig = FROM_CONFIG,
        ngram_max: int | FromConfig = FROM_CONFIG,
        min_df: int | FromConfig = FROM_CONFIG,
        seed: int = 0,
    ):
        from sklearn.linear_model import Ridge

        tfidf = primary_default("evaluate", "tfidf")  # the features are the classifier's
        alpha = primary_default("evaluate", "ridge")["alpha"] if alpha is FROM_CONFIG else alpha
        ngram_max = tfidf["ngram_max"] if ngram_max is FROM_CONFIG else ngram_max
        min_df = tfidf["min_df"] if min_df is FROM_CONFIG else min_df
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not alpha > 0:
            raise LicGpuError(f"ridge.alpha must be a number > 0; got {alpha!r}")
        self.vectoriser = _tfidf(ngram_max, min_df)
        self.model = Ridge(alpha=float(alpha), random_state=seed)

    def fit(self, texts: Sequence[str], ratings: np.ndarray, sample_weight: np.ndarray | None = None) -> "TfidfRidge":
        x = self.vectoriser.fit_transform(texts)
        with _one_blas_thread():
            self.model.fit(x, np.asarray(ratings, dtype=float), sample_weight=sample_weight)
        return self

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        return self.model.predict(self.vectoriser.transform(texts))


class MeanEmbedding:
    """Sentence -> mean of its words' unit vectors (words the vectors lack are skipped), on the store's device.

    Results are cached by text: the originals are featurised once per run, not once per method.
    """

    def __init__(self, store):
        self.store = store
        self._cache: dict[str, torch.Tensor] = {}

    def __call__(self, texts: Sequence[str]) -> torch.Tensor:
        todo = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if todo:
            ids: list[int] = []
            offsets: list[int] = []
            for text in todo:
                offsets.append(len(ids))
                for tok in words_tokenise(text).tokens:
                    if any(ch.isalnum() for ch in tok):
                        row = self.store.resolve(tok)
                        if row is not None:
                            ids.append(row)
            vecs = self.store.vectors
            ids_t = torch.tensor(ids, dtype=torch.long, device=vecs.device)
            off_t = torch.tensor(offsets, dtype=torch.long, device=vecs.device)
            # An empty bag (no known word) gives a zero row.
            feats = torch.nn.functional.embedding_bag(ids_t, vecs.float(), off_t, mode="mean")
            for text, row in zip(todo, feats):
                self._cache[text] = row
        return torch.stack([self._cache[t] for t in texts]) if texts else torch.empty(0, self.store.dim)


class MeanEmbeddingMLP:
    """A small torch classifier over mean word vectors: standardise -> Linear/ReLU (``hidden``) -> Linear.

    ``hidden=0`` gives a linear model. Trained with Adam on the features' device for ``epochs`` epochs,
    weighted cross-entropy when sample weights are given; the initial weights and the batch order come
    from ``seed`` only, so a run is repeatable.
    """

    name = "mean_embedding_mlp"

    def __init__(
        self,
        featurise: MeanEmbedding,
        hidden: int | FromConfig = FROM_CONFIG,
        epochs: int | FromConfig = FROM_CONFIG,
        batch_size: int | FromConfig = FROM_CONFIG,
        lr: float | FromConfig = FROM_CONFIG,
        weight_decay: float | FromConfig = FROM_CONFIG,
        seed: int = 0,
    ):
        conf = primary_default("evaluate", "mlp")  # options left out: evaluate.yaml's mlp
        hidden = given_or_default(hidden, conf, "hidden")
        epochs = given_or_default(epochs, conf, "epochs")
        batch_size = given_or_default(batch_size, conf, "batch_size")
        lr = given_or_default(lr, conf, "lr")
        weight_decay = given_or_default(weight_decay, conf, "weight_decay")
        if int(epochs) < 1 or int(batch_size) < 1 or int(hidden) < 0:
            raise LicGpuError(
                f"mlp: epochs and batch_size must be >= 1 and hidden >= 0; got "
                f"epochs={epochs!r}, batch_size={batch_size!r}, hidden={hidden!r}"
            )
        self.featurise = featurise
        self.hidden, self.epochs, self.batch_size = int(hidden), int(epochs), int(batch_size)
        self.lr, self.weight_decay, self.seed = float(lr), float(weight_decay), int(seed)

    def fit(
        self, texts: Sequence[str], labels: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> "MeanEmbeddingMLP":
        x = self.featurise(texts)
        device = x.device
        self.classes_, y = np.unique(labels, return_inverse=True)
        self.mean_ = x.mean(dim=0)
        self.std_ = x.std(dim=0).clamp_min(1e-6) if len(x) > 1 else torch.ones_like(self.mean_)
        x = (x - self.mean_) / self.std_
        y_t = torch.as_tensor(y, dtype=torch.long, device=device)
        w = torch.as_tensor(
            sample_weight if sample_weight is not None else np.ones(len(y)), dtype=torch.float32, device=device
        )
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            dim, n_out = x.shape[1], len(self.classes_)
            layers = (
                [torch.nn.Linear(dim, self.hidden), torch.nn.ReLU(), torch.nn.Linear(self.hidden, n_out)]
                if self.hidden
                else [torch.nn.Linear(dim, n_out)]
            )
            self.model_ = torch.nn.Sequential(*layers)
        self.model_.to(device)
        opt = torch.optim.Adam(self.model_.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        gen = torch.Generator().manual_seed(self.seed)
        n = len(y)
        self.model_.train()
        # batches of (batch_size x dim) are far too small for threads: on the CPU, 2 000 rows x 50 dims
        # trained in 0.20 s on one thread against 2.7 s on two (and minutes on a machine under load)
        with one_cpu_thread(device):
            for _ in range(self.epochs):
                order = torch.randperm(n, generator=gen).to(device)
                for start in range(0, n, self.batch_size):
                    idx = order[start : start + self.batch_size]
                    loss = torch.nn.functional.cross_entropy(self.model_(x[idx]), y_t[idx], reduction="none")
                    loss = (loss * w[idx]).sum() / w[idx].sum()
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
        return self

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        x = (self.featurise(texts) - self.mean_) / self.std_
        self.model_.eval()
        with torch.no_grad(), one_cpu_thread(x.device):
            idx = self.model_(x).argmax(dim=1).cpu().numpy()
        return self.classes_[idx]
