"""Affected services and the owning team, as the document writes them (display names kept:
"Platform Engineering", "Payments Hub"); mapping them to catalog slugs is not done here.

- A services value written as a sentence fragment is split into names: "Storefront API (where the
  preference lives) and Warehouse Picking" -> ["Storefront API", "Warehouse Picking"]. A bracketed
  remark is dropped, and a service the remark says was not affected ("payments-gw (unaffected)",
  "checkout (fine)") is left out. "Accounts & Login" stays one name.
- A team value loses its bracketed remark: "Core Infrastructure (k8s platform on-call)".
- Sign-offs name the team when no field does: "Prepared by Payments & Checkout." or a closing
  "— The Shopping Experience team".
"""

from __future__ import annotations

import re

_PAREN = re.compile(r"\s*\(([^()]*)\)")
_UNAFFECTED = re.compile(
    r"(?:un-?affected|not\s+(?:affected|impacted)|no\s+impact|(?:was\s+|were\s+)?(?:fine|ok|okay|healthy)|"
    r"behaved\s+correctly|worked\s+(?:normally|as\s+designed)|kept\s+working)",
    re.I,
)
_SAID_UNAFFECTED = re.compile(
    r"^(?:not\s+(?:affected|impacted)|unaffected)\b|\b(?:was|were|is|are|stayed|remained)\s+(?:not\s+(?:affected|impacted)|unaffected|fine|ok|healthy|up)\b",
    re.I,
)
_SEPARATORS = re.compile(r"[,;]")
_AND = re.compile(r"\s+(?:and|plus)\s+", re.I)
_TEAM_TAIL = re.compile(r"\s+(?:team|squad)$", re.I)
_PREPARED = re.compile(r"^(?:prepared|written|compiled|authored)\s+by\s+(?:the\s+)?(.{2,80}?)\s*\.?$", re.I)
_SIGN_OFF = re.compile(r"^(?:—|–|--|-)\s*(?:the\s+)?(.{2,80}?)\s*\.?$", re.I)
_TEAMISH = re.compile(r"\b(?:team|engineering|group|squad|department|operations|infrastructure|platform)\b", re.I)


def split_names(value: str) -> list[str]:
    """Comma- or semicolon-separated parts, ignoring separators inside brackets."""
    if "(" not in value:
        return [p.strip() for p in _SEPARATORS.split(value) if p.strip()]
    parts, depth, current = [], 0, []
    for ch in value:
        depth += ch == "("
        depth -= ch == ")" and depth > 0
        if ch in ",;" and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def service_names(value: str) -> list[str]:
    """The service names of one written value (see module docstring)."""
    if "(" not in value and " " not in value.strip():
        name = value.strip().strip("*_`\"'.").strip()
        return [name] if name else []  # "booking-api": the common case, nothing to split
    # Bracketed remarks out of the way first, so "(driver app and its backend)" is not split.
    remarks: list[str] = []

    def hide(m: re.Match[str]) -> str:
        remarks.append(m.group(1))
        return f" \x00{len(remarks) - 1}\x00"

    hidden = _PAREN.sub(hide, value)
    out: list[str] = []
    for part in _AND.split(hidden):
        notes = [remarks[int(n)] for n in re.findall(r"\x00(\d+)\x00", part)]
        name = re.sub(r"\s*\x00\d+\x00", "", part).strip().strip("*_`\"'.").strip()
        # "payments-gw (unaffected)": the remark is about this name only when it is that short.
        if not name or any(_UNAFFECTED.fullmatch(n.strip().rstrip(".!")) for n in notes):
            continue
        if _SAID_UNAFFECTED.search(name):
            continue  # "payments-gw was not affected", "not affected: payments hub"
        out.append(name)
    return out


def team_name(value: str) -> str | None:
    """A team value without its bracketed remark ("growth (pricing)" -> "growth")."""
    name = _PAREN.sub("", value).strip().strip("*_`\"'.").strip()
    return name or value.strip() or None


def signed_team(lines: list[str]) -> tuple[str, int] | None:
    """(team, 0-based line) from a closing "Prepared by ..." or "— The X team" line."""
    tail = [(k, ln.strip()) for k, ln in enumerate(lines) if ln.strip()][-4:]
    for k, line in reversed(tail):
        m = _PREPARED.match(line.strip("*_"))
        sign_off = None if m else _SIGN_OFF.match(line.strip("*_"))
        if sign_off is not None and not _TEAMISH.search(sign_off.group(1)):
            sign_off = None  # "— Omar" signs a person, not a team
        found = m or sign_off
        if found is None:
            continue
        name = _TEAM_TAIL.sub("", team_name(found.group(1)) or "").strip()
        if name:
            return name, k
    return None
