"""Bearer-token authentication and the role checks of each endpoint family.

Clinic tokens use the sync API only; staff tokens use the desk and indicators by role. No token, an
unknown token and a revoked token all get 401; a valid token on the wrong endpoint gets 403.
"""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from clinic_hub import accounts
from clinic_hub.accounts import Principal
from clinic_hub.errors import ApiError

bearer = HTTPBearer(auto_error=False, description="A clinic token or a hospital staff token")

DESK_ROLES = ("desk", "admin")
INDICATOR_ROLES = ("viewer", "desk", "admin")


def current_principal(request: Request,
                      credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise ApiError(401, "unauthorized", headers={"WWW-Authenticate": "Bearer"})
    with request.app.state.engine.connect() as conn:
        principal = accounts.authenticate(conn, credentials.credentials)
    if principal is None:
        raise ApiError(401, "unauthorized", headers={"WWW-Authenticate": "Bearer"})
    request.state.principal_label = principal.label
    return principal


def require_clinic(principal: Principal = Depends(current_principal)) -> Principal:
    if principal.kind != "clinic":
        raise ApiError(403, "forbidden")
    return principal


def require_desk(principal: Principal = Depends(current_principal)) -> Principal:
    if principal.kind != "staff" or principal.role not in DESK_ROLES:
        raise ApiError(403, "forbidden")
    return principal


def require_indicator_reader(principal: Principal = Depends(current_principal)) -> Principal:
    if principal.kind != "staff" or principal.role not in INDICATOR_ROLES:
        raise ApiError(403, "forbidden")
    return principal
