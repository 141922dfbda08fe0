"""Who is viewing: the signed-in user from Streamlit's OIDC sign-in, else the anonymous viewer.

Only `st.user.is_logged_in` is trusted: without sign-in configured, Streamlit may still report a
placeholder email (AppTest and local runs do), which must not unlock restricted incidents.
"""

from __future__ import annotations

import streamlit as st

from pipelines.access import ANONYMOUS, Viewer


def _claims() -> dict:
    try:
        return dict(st.user.to_dict())
    except Exception:  # no script context or no user info: treat as anonymous
        return {}


def current_viewer() -> Viewer:
    claims = _claims()
    if not claims.get("is_logged_in"):
        return ANONYMOUS
    email = claims.get("email")
    email = email.strip() if isinstance(email, str) and email.strip() else None
    raw_groups = claims.get("groups")
    groups: tuple[str, ...] = ()
    if isinstance(raw_groups, (list, tuple)):
        groups = tuple(str(g) for g in raw_groups if isinstance(g, str) and g.strip())
    if email is None and not groups:
        return ANONYMOUS
    return Viewer(email=email, groups=groups)
