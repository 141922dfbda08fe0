"""Entry point of parsing: bytes of one file -> ParsedFile, dispatched by suffix.

Decoding: UTF-8 with or without a BOM (UTF-16 with a BOM is accepted too); CRLF and lone CR
become `\\n`. Files that are empty, binary, not UTF-8, or larger than the size cap raise
IngestError with a reason a person can act on. Bad records inside an export do not fail the
file: they become `ParsedFile.errors` entries and the good records still load.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field

from pipelines.model import Incident, IngestError
from pipelines.parsing.markdown import parse_markdown
from pipelines.parsing.records import parse_csv, parse_json, parse_jsonl

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown", ".mdown", ".mkd"})
RECORD_SUFFIXES = frozenset({".json", ".jsonl", ".ndjson", ".csv"})
SUPPORTED_SUFFIXES: frozenset[str] = MARKDOWN_SUFFIXES | RECORD_SUFFIXES

MAX_MARKDOWN_BYTES = 5 * 1024 * 1024  # a 5 MB postmortem is a pasted log, not a document
MAX_EXPORT_BYTES = 512 * 1024 * 1024


@dataclass
class ParsedFile:
    incidents: list[Incident]
    errors: list[tuple[str, str]] = field(default_factory=list)  # (source_path, reason)


def suffix_of(source_path: str) -> str:
    name = source_path.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def decode(data: bytes) -> str:
    """Text of a file with `\\n` newlines and no BOM; IngestError when it is not text."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeError:
            raise IngestError("starts with a UTF-16 byte-order mark but is not valid UTF-16; re-save it as UTF-8") from None
    if b"\x00" in data[:8192]:
        raise IngestError("looks like a binary file (it contains NUL bytes), not a postmortem; remove it or re-export as text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise IngestError(
            f"not UTF-8 text: byte 0x{data[exc.start]:02x} at line {line} cannot be decoded; "
            "re-save the file as UTF-8"
        ) from None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def parse_file(data: bytes, source_path: str) -> ParsedFile:
    """Parse one file's bytes; `source_path` is relative to the corpus root (POSIX).

    Raises IngestError when the whole file cannot be loaded; never anything else.
    """
    suffix = suffix_of(source_path)
    if suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(
            f"unsupported file type {suffix or '(no suffix)'!r}; expected one of {', '.join(sorted(SUPPORTED_SUFFIXES))}"
        )
    limit = MAX_MARKDOWN_BYTES if suffix in MARKDOWN_SUFFIXES else MAX_EXPORT_BYTES
    if len(data) > limit:
        raise IngestError(
            f"file is {len(data) / 1024 / 1024:.1f} MB, over the {limit // 1024 // 1024} MB limit for {suffix} files; "
            "split it or move attached logs out of the postmortem"
        )
    text = decode(data)
    if not text.strip():
        raise IngestError("empty file: nothing to load; delete it or write the postmortem")
    try:
        if suffix in MARKDOWN_SUFFIXES:
            return ParsedFile([parse_markdown(text, source_path)])
        if suffix == ".csv":
            incidents, errors = parse_csv(text, source_path)
        elif suffix == ".json":
            incidents, errors = parse_json(text, source_path)
        else:
            incidents, errors = parse_jsonl(text, source_path)
    except IngestError:
        raise
    except RecursionError:
        raise IngestError("nesting too deep to read; simplify the file") from None
    except Exception as exc:  # noqa: BLE001 - a parser bug must fail one file, not the build
        raise IngestError(f"could not be parsed ({type(exc).__name__}: {exc}); please report this file") from None
    if not incidents and errors:
        raise IngestError(f"none of its {len(errors)} records could be loaded; first problem: {errors[0][1]}")
    if not incidents:
        raise IngestError("no incidents found in this export (it holds no records)")
    return ParsedFile(incidents, errors)
