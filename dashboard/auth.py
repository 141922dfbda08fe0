"""Who is viewing: the signed-in user from Streamlit's OIDC sign-in, else the anonymous viewer.

Only `st.user.is_logged_in` is trusted: without sign-in configured, Streamlit may still report a
placeholder email (AppTest and local runs do), which must not unlock restricted incidents.
"""

from __future__ import annotations

import streamlit as st

from pipelines.read.access import ANONYMOUS, Viewer
from pipelines.read.access_groups import AccessConfigError, load_access_map


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
    # Groups from the operator's access file (pipelines/access_groups.py), only for an email
    # the identity provider has not declared unverified.
    if email is not None and claims.get("email_verified", True) is not False:
        try:
            groups = tuple(dict.fromkeys(groups + load_access_map().groups_for(email)))
        except AccessConfigError as e:
            st.warning(f"Restricted postmortems stay hidden: {e}")
    if email is None and not groups:
        return ANONYMOUS
    return Viewer(email=email, groups=groups)


def _sign_in_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets.toml at all
        return False


def account_box() -> None:
    """Sidebar sign-in / sign-out, shown only when OIDC sign-in is configured in secrets.toml."""
    if not _sign_in_configured():
        return
    with st.sidebar:
        if _claims().get("is_logged_in"):
            viewer = current_viewer()
            st.caption(f"Signed in as {viewer.email or 'unknown'}" + (f" · groups: {', '.join(viewer.groups)}" if viewer.groups else ""))
            st.button("Sign out", on_click=st.logout, key="hs_sign_out")
        else:
            st.button("Sign in to see restricted postmortems", on_click=st.login, key="hs_sign_in")
