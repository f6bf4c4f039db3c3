"""No code from data: a word-vector or cache file whose bytes are a pickle is never unpickled unless the
user names ``format=gensim_kv`` and sets ``embeddings.allow_pickle=true``.

Each hostile file, when unpickled, creates a marker file; every test proves the marker is absent.
"""

import pickle

import pytest

from lic_gpu.vectors.store import EmbeddingStore
from lic_gpu.errors import LicGpuError


class _Payload:
    """Unpickling this opens (creates) ``marker``: the side effect proves that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _hostile(path, marker):
    path.write_bytes(pickle.dumps(_Payload(marker), protocol=4))
    return path


def test_the_payload_really_runs_code_when_unpickled(tmp_path):
    # guards the tests below: a payload that did nothing would prove nothing
    marker = tmp_path / "ran"
    pickle.loads(_hostile(tmp_path / "probe.pkl", marker).read_bytes()).close()
    assert marker.exists()


@pytest.mark.parametrize(
    "name", ["vectors.bin", "vectors.txt", "wiki.vec", "vectors.kv", "model.model", "glove.6B.50d.txt.gz"]
)
def test_format_auto_never_unpickles(tmp_path, name):
    marker = tmp_path / "code_ran"
    path = tmp_path / name
    if name.endswith(".gz"):
        import gzip

        path.write_bytes(gzip.compress(pickle.dumps(_Payload(marker), protocol=4)))
    else:
        _hostile(path, marker)
    with pytest.raises(LicGpuError, match="pickle") as err:
        EmbeddingStore.load(path, cache_dir=False)
    assert "\n" not in str(err.value) and "allow_pickle=true" in str(err.value)
    assert not marker.exists()


@pytest.mark.parametrize("fmt", ["word2vec_bin", "word2vec_text", "fasttext_vec"])
def test_a_pickle_read_as_a_named_format_is_refused_without_its_bytes(tmp_path, fmt):
    # trial 7: the refusal quoted the pickle's raw bytes ('\x80\x04...posix...system')
    marker = tmp_path / "code_ran"
    with pytest.raises(LicGpuError, match="the file is a pickle") as err:
        EmbeddingStore.load(_hostile(tmp_path / "vectors.bin", marker), format=fmt, cache_dir=False)
    assert "\\x" not in str(err.value) and "posix" not in str(err.value) and "open" not in str(err.value)
    assert not marker.exists()


def test_gensim_kv_named_without_allow_pickle_is_refused(tmp_path):
    marker = tmp_path / "code_ran"
    path = _hostile(tmp_path / "vectors.kv", marker)
    with pytest.raises(LicGpuError, match="allow_pickle=true"):
        EmbeddingStore.load(path, format="gensim_kv", cache_dir=False)
    assert not marker.exists()


def test_allow_pickle_must_be_a_bool(tmp_path):
    marker = tmp_path / "code_ran"
    path = _hostile(tmp_path / "vectors.kv", marker)
    with pytest.raises(LicGpuError, match="allow_pickle must be true or false"):
        EmbeddingStore.load(path, format="gensim_kv", cache_dir=False, allow_pickle="yes")
    assert not marker.exists()


def test_pickled_caches_are_misses_and_run_no_code(tmp_path, monkeypatch):
    """A vectors cache (.npy) or a neighbour cache (.npz) replaced by a pickle is read with
    allow_pickle=False: a warning and a rebuild, never the pickle's code."""
    import numpy as np

    words = [f"w{i}" for i in range(40)]
    matrix = np.random.default_rng(0).standard_normal((40, 6)).astype(np.float32)
    source = tmp_path / "vectors.txt"
    source.write_text("".join(f"{w} {' '.join(f'{v:.5f}' for v in row)}\n" for w, row in zip(words, matrix)))
    cache = tmp_path / "cache"
    first = EmbeddingStore.load(source, cache_dir=cache, neighbour_cache=tmp_path / "neigh")
    first.topk_neighbours(words[:5], k=3)
    marker = tmp_path / "code_ran"
    poisoned = list(cache.glob("*.npy")) + list((tmp_path / "neigh").glob("*.npz"))
    assert poisoned, "the run should have written caches to poison"
    for path in poisoned:
        # np.save of an object array is how a pickle gets into an .npy file
        with open(path, "wb") as fh:
            np.save(fh, np.array([_Payload(marker)], dtype=object), allow_pickle=True)
    again = EmbeddingStore.load(source, cache_dir=cache, neighbour_cache=tmp_path / "neigh")
    assert again.words == words
    again.topk_neighbours(words[:5], k=3)
    assert not marker.exists()


def test_config_key_allow_pickle_reaches_the_loader(tmp_path):
    """``embeddings.allow_pickle`` is a config key (default false) and the job passes it on."""
    from lic_gpu.app.config import compose_config

    cfg = compose_config(["embeddings=file", f"embeddings.source={tmp_path / 'v.kv'}"])
    assert cfg.embeddings.allow_pickle is False
    assert compose_config().embeddings.allow_pickle is False


def test_allow_pickle_on_a_pickle_of_something_else_names_what_it_holds(tmp_path):
    path = tmp_path / "vectors.kv"
    path.write_bytes(pickle.dumps({"the": [0.1, 0.2]}))
    with pytest.raises(LicGpuError, match="it holds a pickled dict, not gensim KeyedVectors"):
        EmbeddingStore.load(path, format="gensim_kv", allow_pickle=True, cache_dir=False)
