"""Admin endpoints: read and change models' fault settings at run time, read counters.

`GET /admin/models`, `PUT|PATCH /admin/models/{name}` (a JSON merge patch of one model's
settings, such as `{"faults": {"error_rate": 1}}`), `POST /admin/reset` (back to the profile
as loaded, random streams and counters included), `GET /admin/stats`.
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from tierroute_gateway.sim.state import PatchError, SimState


def admin_routes(state: SimState) -> list[web.RouteDef]:
    """The admin routes over `state`."""

    async def list_models(request: web.Request) -> web.Response:
        models = [profile.model_dump(mode="json") for profile in state.profiles.values()]
        return _json({"models": models})

    async def patch_model(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        try:
            patch = orjson.loads(await request.read())
        except orjson.JSONDecodeError as error:
            return _json({"error": f"the body is not JSON: {error}"}, status=400)
        if not isinstance(patch, dict):
            return _json({"error": "the body must be a JSON object (a merge patch)"}, 400)
        try:
            profile = state.patch_model(name, patch)
        except KeyError:
            return _json({"error": f"no model {name!r} is served"}, status=404)
        except PatchError as error:
            return _json({"error": str(error)}, status=400)
        return _json(profile.model_dump(mode="json"))

    async def reset(request: web.Request) -> web.Response:
        state.reset()
        return _json({"status": "reset"})

    async def stats(request: web.Request) -> web.Response:
        return _json(state.stats_document())

    return [
        web.get("/admin/models", list_models),
        web.put("/admin/models/{name}", patch_model),
        web.patch("/admin/models/{name}", patch_model),
        web.post("/admin/reset", reset),
        web.get("/admin/stats", stats),
    ]


def _json(document: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(document), content_type="application/json")
