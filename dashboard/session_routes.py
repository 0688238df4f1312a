"""The two HTTP endpoints that set and clear the session cookie, served beside the app by the
same server (`app = st.App(...)` at the foot of dashboard/app.py). A cookie is HttpOnly only
when an HTTP response sets it: the sign-in form runs over Streamlit's websocket, so it sends
the browser to `/pbi/signin` with a one-time hand-off token, and this answers with the cookie
and a redirect back to the page that was asked for.

The cookie: HttpOnly, SameSite=Strict, Path=/, Secure when served over https, good for
`sessions.lifetime()`. Both endpoints refuse a request another site started (Sec-Fetch-Site),
so a link elsewhere cannot sign a browser in as someone else, or out."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from dashboard import sessions

SIGN_IN, SIGN_OUT = "/pbi/signin", "/pbi/signout"
HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def local(target: str | None) -> str:
    """`target` when it is a path on this server, else the home page (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _ours(request: Request) -> bool:
    """Whether the request came from a page of this site (browsers that do not say are let through)."""
    return request.headers.get("sec-fetch-site", "same-origin") == "same-origin"


def _back(request: Request) -> RedirectResponse:
    return RedirectResponse(local(request.query_params.get("next")), status_code=303, headers=HEADERS)


async def sign_in(request: Request) -> Response:
    if not _ours(request):
        return Response("refused", status_code=403, headers=HEADERS)
    value = sessions.redeem(request.query_params.get("token", ""))
    response = _back(request)
    if value is not None:
        response.set_cookie(
            sessions.COOKIE,
            value,
            max_age=int(sessions.lifetime().total_seconds()),
            path="/",
            secure=request.url.scheme == "https",
            httponly=True,
            samesite="strict",
        )
    return response


async def sign_out(request: Request) -> Response:
    """Clear the cookie (the session it led to was ended by the page, server-side; ended here
    too, for a browser whose page did not get that far)."""
    if not _ours(request):
        return Response("refused", status_code=403, headers=HEADERS)
    session = sessions.from_cookie(request.cookies.get(sessions.COOKIE))
    if session is not None:
        sessions.end(session.id)
    response = _back(request)
    response.delete_cookie(
        sessions.COOKIE, path="/", secure=request.url.scheme == "https", httponly=True, samesite="strict"
    )
    return response


ROUTES = [Route(SIGN_IN, sign_in, methods=["GET"]), Route(SIGN_OUT, sign_out, methods=["GET"])]
