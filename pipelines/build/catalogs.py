"""Which service catalogs a build reads: every `--catalog FILE`, plus a `catalog-info.yaml`
sitting at the top of a corpus folder (Backstage's usual file name), read before anything is
parsed so a broken catalog stops the build before it has done any work."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.parsing.catalog import Catalog, CatalogError, merge_catalogs, read_catalog

CATALOG_FILE = "catalog-info.yaml"


@dataclass
class Catalogs:
    catalog: Catalog | None = None  # None when no catalog was given or found
    paths: list[Path] = field(default_factory=list)
    digests: dict[str, tuple[str, int]] = field(default_factory=dict)  # "catalog:<path>" -> (hash, size)


def catalog_paths(explicit: list[Path], corpus: list[Path]) -> list[tuple[Path, bool]]:
    """(path, found at a corpus root) for each catalog, explicit ones first, each file once."""
    found: list[tuple[Path, bool]] = [(Path(p), False) for p in explicit]
    found += [(Path(root) / CATALOG_FILE, True) for root in corpus if (Path(root) / CATALOG_FILE).is_file()]
    seen: set[Path] = set()
    out = []
    for path, auto in found:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            out.append((path, auto))
    return out


def read_catalogs(explicit: list[Path], corpus: list[Path]) -> Catalogs:
    """Read and merge every catalog; CatalogError (naming the file) when one cannot be used."""
    result = Catalogs()
    parsed = []
    for path, auto in catalog_paths(explicit, corpus):
        how = " (read because it sits at the corpus root)" if auto else ""
        try:
            data = path.read_bytes()
        except OSError as e:
            raise CatalogError(f"{path}: cannot read the catalog{how}: {e.strerror or e}") from e
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise CatalogError(f"{path}: the catalog{how} is not UTF-8 text; re-save it as UTF-8") from None
        try:
            parsed.append(read_catalog(text, str(path)))
        except CatalogError as e:
            raise CatalogError(f"{e}{how}") from None
        result.paths.append(path)
        result.digests[f"catalog:{path.resolve()}"] = (hashlib.blake2b(data, digest_size=16).hexdigest(), len(data))
    if parsed:
        result.catalog = merge_catalogs(parsed)
    return result
