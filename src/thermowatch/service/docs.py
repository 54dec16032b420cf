"""``/docs`` without internet: Swagger UI served from vendored assets, not from a CDN.

The files in ``static/swagger-ui/`` are swagger-ui-dist (Apache-2.0, see its LICENSE and
VERSION there), unmodified. Substations and OT networks often have no internet access, and an
API page that stays blank there is a dead end.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(__file__).with_name("static") / "swagger-ui"
PREFIX = "/docs-assets"


def install(app: FastAPI) -> None:
    """Serve ``/docs`` (and its OAuth2 redirect) from :data:`ASSETS` (the app has docs_url=None)."""
    app.mount(PREFIX, StaticFiles(directory=ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} — API",
            swagger_js_url=f"{PREFIX}/swagger-ui-bundle.js",
            swagger_css_url=f"{PREFIX}/swagger-ui.css",
            swagger_favicon_url=f"{PREFIX}/favicon-32x32.png",
            oauth2_redirect_url="/docs/oauth2-redirect",
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
