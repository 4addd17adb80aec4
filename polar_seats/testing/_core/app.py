"""The aiohttp app of one fake server: the middleware around one route table."""

from __future__ import annotations

from aiohttp import web

from .middleware import Backend, middlewares, polar_headers
from .routing import STATE, RouteTable
from .store import Store

__all__ = ["build_app"]


def build_app(server: Backend, state: Store, routes: RouteTable) -> web.Application:
    """The app serving ``routes`` over ``state``, each under ``/api`` too, as Polar does."""
    app = web.Application(middlewares=middlewares(server))
    app[STATE] = state
    app.on_response_prepare.append(polar_headers)
    for method, path, route in routes:
        app.router.add_route(method, path, route)
        app.router.add_route(method, "/api" + path, route)
    return app
