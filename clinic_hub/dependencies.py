"""What a route depends on, as FastAPI dependencies: the settings, the database engine and the
caller (the principal behind the bearer token, checked for the endpoint family's role).

Routers declare these (``engine: EngineDep``, ``clinic: ClinicCaller``) instead of reading
``request.app.state``; tests and a future web desk can override them with
``app.dependency_overrides``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine

from clinic_hub import accounts
from clinic_hub.accounts import Principal
from clinic_hub.db import reading
from clinic_hub.errors import ApiError, language_of
from clinic_hub.settings import Settings

bearer = HTTPBearer(auto_error=False, description="A clinic token or a hospital staff token")

DESK_ROLES = ("desk", "admin")
INDICATOR_ROLES = ("viewer", "desk", "admin")
REMOTE_ROLES = ("desk", "doctor", "admin")  # the remote desk: read, accept, return, schedule
LAB_ROLES = ("desk", "doctor", "admin")  # the lab desk: receive, reject, enter results (a lab nurse is desk)
REPORT_ROLES = ("doctor", "admin")  # a remote read's report is signed by a doctor


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_engine(request: Request) -> Engine:
    return request.app.state.engine


async def get_language(request: Request) -> str:
    """The caller's language for messages (Accept-Language)."""
    return language_of(request)


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
LanguageDep = Annotated[str, Depends(get_language)]


def current_principal(
    request: Request, engine: EngineDep, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
) -> Principal:
    """Who calls. No token, an unknown token and a revoked token all get 401."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise ApiError(401, "unauthorized", headers={"WWW-Authenticate": "Bearer"})
    with reading(engine) as conn:
        principal = accounts.authenticate(conn, credentials.credentials)
    if principal is None:
        raise ApiError(401, "unauthorized", headers={"WWW-Authenticate": "Bearer"})
    request.state.principal_label = principal.label
    return principal


async def require_clinic(principal: Principal = Depends(current_principal)) -> Principal:
    if principal.kind != "clinic":
        raise ApiError(403, "forbidden")
    return principal


async def require_desk(principal: Principal = Depends(current_principal)) -> Principal:
    if principal.kind != "staff" or principal.role not in DESK_ROLES:
        raise ApiError(403, "forbidden")
    return principal


async def require_indicator_reader(principal: Principal = Depends(current_principal)) -> Principal:
    if principal.kind != "staff" or principal.role not in INDICATOR_ROLES:
        raise ApiError(403, "forbidden")
    return principal


async def require_remote(principal: Principal = Depends(current_principal)) -> Principal:
    if principal.kind != "staff" or principal.role not in REMOTE_ROLES:
        raise ApiError(403, "forbidden")
    return principal


async def require_lab(principal: Principal = Depends(current_principal)) -> Principal:
    if principal.kind != "staff" or principal.role not in LAB_ROLES:
        raise ApiError(403, "forbidden")
    return principal


async def require_reporter(principal: Principal = Depends(current_principal)) -> Principal:
    if principal.kind != "staff" or principal.role not in REPORT_ROLES:
        raise ApiError(403, "forbidden")
    return principal


# The caller of each endpoint family: a valid token of the wrong kind or role gets 403.
ClinicCaller = Annotated[Principal, Depends(require_clinic)]
DeskCaller = Annotated[Principal, Depends(require_desk)]
IndicatorReader = Annotated[Principal, Depends(require_indicator_reader)]
RemoteCaller = Annotated[Principal, Depends(require_remote)]
LabCaller = Annotated[Principal, Depends(require_lab)]
ReporterCaller = Annotated[Principal, Depends(require_reporter)]


async def no_unknown_query(request: Request) -> None:
    """Refuse a query parameter the endpoint does not declare, or one given twice (422, like any
    other invalid input): a misspelt ``limt=`` is an error to see, not a default to get silently."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None or not request.query_params:
        return
    known: set[str] = set()
    pending = [dependant]
    while pending:  # the endpoint's own query parameters and those of its dependencies
        current = pending.pop()
        known.update(param.alias for param in current.query_params)
        pending.extend(current.dependencies)
    names = [name for name, _value in request.query_params.multi_items()]
    unknown = sorted({name for name in names if name not in known})
    if unknown:
        raise ApiError(
            422,
            "invalid_request",
            errors=[
                {"loc": ["query", name[:40]], "type": "extra_forbidden", "msg": "Unknown query parameter"}
                for name in unknown[:10]
            ],
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:  # every parameter takes one value: which of several was meant?
        raise ApiError(
            422,
            "invalid_request",
            errors=[
                {"loc": ["query", name[:40]], "type": "too_long", "msg": "Given more than once"}
                for name in repeated[:10]
            ],
        )


# Every free-text query or path parameter declares this, so that the schema says what
# no_nul_in_parameters enforces (a client generated from it, or schemathesis, knows).
NO_NUL = r"^[^\x00]*$"


async def no_nul_in_parameters(request: Request) -> None:
    """PostgreSQL takes no NUL character in a text value: a query or path parameter holding one is
    refused here (422), not by the database (500)."""
    for where, values in (("query", request.query_params.multi_items()), ("path", request.path_params.items())):
        for name, value in values:
            if isinstance(value, str) and "\x00" in value:
                raise ApiError(
                    422,
                    "invalid_request",
                    errors=[{"loc": [where, name[:40]], "type": "string_pattern_mismatch", "msg": "NUL character"}],
                )


STRICT_QUERY = [Depends(no_unknown_query), Depends(no_nul_in_parameters)]
