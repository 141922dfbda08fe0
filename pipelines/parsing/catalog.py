"""Read a Backstage software catalog (`catalog-info.yaml`): the services and teams a corpus names.

A catalog is a multi-document YAML file of Backstage entities. Two kinds matter here:

    kind: Component   metadata.name (the slug), metadata.title, spec.owner (`group:<team>`, or a
                      bare team name, which Backstage reads as a Group)
    kind: Group       metadata.name (the slug), spec.profile.displayName, metadata.title

Either kind may carry informal names in an annotation whose key ends in `aliases`
(`example.com/aliases: "the k8s platform, prod cluster"`, comma separated). Other kinds
(System, API, Resource, User, Location, ...) are valid Backstage and ignored. An owner that is a
user (`user:jdoe`) is not a team, so such a component has no owning team.

Pure: text in, `Catalog` out. A file that is not YAML, or YAML that is not a Backstage catalog,
raises CatalogError naming the file and, where known, the line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

USED_KINDS = ("component", "group")


class CatalogError(Exception):
    """A catalog file that cannot be used; the message names the file, the line and what to do."""


@dataclass(frozen=True)
class Component:
    name: str  # the slug every resolved service name becomes
    title: str | None = None
    owner: str | None = None  # a Group's name; None when the owner is a user or not given
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Group:
    name: str  # the slug every resolved team name becomes
    display_name: str | None = None
    title: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass
class Catalog:
    components: dict[str, Component] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.components or self.groups)


def _fail(path: str, line: int | None, problem: str) -> CatalogError:
    where = f"{path}:{line}" if line else path
    return CatalogError(f"{where}: {problem}; fix the catalog or leave it out of the build")


def _documents(text: str, path: str) -> list[tuple[int, object]]:
    """(1-based line where each document starts, its data) for every non-empty YAML document."""
    loader = yaml.SafeLoader(text)
    docs: list[tuple[int, object]] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            docs.append((node.start_mark.line + 1, loader.construct_document(node)))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise _fail(path, mark.line + 1 if mark else None, f"not valid YAML ({problem})") from None
    finally:
        loader.dispose()
    return docs


def _text(value: object) -> str | None:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value).strip() or None
    return None


def _aliases(metadata: dict) -> tuple[str, ...]:
    annotations = metadata.get("annotations")
    if not isinstance(annotations, dict):
        return ()
    found: list[str] = []
    for key, value in annotations.items():
        if str(key).lower().endswith("aliases") and isinstance(value, str):
            found += [a.strip() for a in value.split(",") if a.strip()]
    return tuple(dict.fromkeys(found))


def _owner_group(owner: object) -> str | None:
    """`group:travel-core`, `group:default/travel-core` or `travel-core` -> travel-core; a user -> None."""
    text = _text(owner)
    if not text:
        return None
    kind, sep, ref = text.partition(":")
    if not sep:
        kind, ref = "group", text
    if kind.strip().lower() != "group":
        return None
    return ref.rpartition("/")[2].strip() or None


def read_catalog(text: str, path: str) -> Catalog:
    """The components and groups of one catalog file; CatalogError when it is not one."""
    catalog = Catalog()
    entities = 0
    for line, doc in _documents(text, path):
        if doc is None:
            continue
        if not isinstance(doc, dict):
            raise _fail(path, line, "a catalog document must be a mapping with apiVersion, kind and metadata, "
                                    "so this is not a Backstage catalog")
        api, kind = _text(doc.get("apiVersion")), _text(doc.get("kind"))
        if not api or not kind or not api.lower().startswith("backstage.io/"):
            raise _fail(path, line, "document has no `apiVersion: backstage.io/...` and `kind`, "
                                    "so this is not a Backstage catalog")
        entities += 1
        if kind.lower() not in USED_KINDS:
            continue
        metadata = doc.get("metadata")
        name = _text(metadata.get("name")) if isinstance(metadata, dict) else None
        if not name:
            raise _fail(path, line, f"{kind} entity without metadata.name")
        spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
        title = _text(metadata.get("title"))
        if kind.lower() == "component":
            catalog.components.setdefault(name, Component(name, title, _owner_group(spec.get("owner")), _aliases(metadata)))
        else:
            profile = spec.get("profile") if isinstance(spec.get("profile"), dict) else {}
            catalog.groups.setdefault(name, Group(name, _text(profile.get("displayName")), title, _aliases(metadata)))
    if not entities:
        raise _fail(path, None, "holds no catalog entities (no documents with apiVersion and kind)")
    return catalog


def merge_catalogs(catalogs: list[Catalog]) -> Catalog:
    """One catalog from several (`--catalog` is repeatable); an entity named twice keeps its first definition."""
    merged = Catalog()
    for c in catalogs:
        for name, comp in c.components.items():
            merged.components.setdefault(name, comp)
        for name, group in c.groups.items():
            merged.groups.setdefault(name, group)
    return merged
