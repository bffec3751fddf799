"""The API's own documentation, served from the package: it opens behind a firewall.

FastAPI's default ``/docs`` page loads Swagger UI from a CDN, so without internet
it is blank. The Swagger UI and ReDoc files come here from the ``fastapi-offline``
package (a kept bundle of both, recent enough for OpenAPI 3.1) and are served
under ``/v1/docs-assets``; ``/v1/docs`` and ``/v1/redoc`` reference nothing
else. ``/`` is a small page that links to the console, the docs, health and metrics.
These pages and assets take no key: they hold no data (the OpenAPI document
is public too); every API route still does.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

from crossdock import __version__

_ASSETS = files("fastapi_offline") / "static"

_HOME = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Crossdock</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;
line-height:1.5}}code{{background:#f3f3f3;padding:0 .25rem}}</style></head>
<body>
<h1>Crossdock {version}</h1>
<p>The sync hub's API answers under <code>{prefix}</code>.
Every route but health needs an API key:
<code>Authorization: Bearer cdk_...</code> (<code>crossdock keys create</code>).</p>
<ul>
<li><a href="/console/">Operator console</a> (sign in with an API key)</li>
<li><a href="{prefix}/docs">API documentation</a> (Swagger UI;
<a href="{prefix}/redoc">ReDoc</a>; <a href="{prefix}/openapi.json">OpenAPI document</a>)</li>
<li><a href="{prefix}/health">Health</a></li>
<li><a href="{prefix}/metrics">Metrics</a> (Prometheus; read key)</li>
</ul>
</body>
</html>
"""


def install_docs(app: FastAPI, prefix: str) -> None:
    """Serve the docs pages and their assets from the package, and the home page at ``/``."""
    assets = f"{prefix}/docs-assets"
    app.mount(assets, StaticFiles(directory=str(_ASSETS)), name="docs-assets")
    openapi_url = app.openapi_url or f"{prefix}/openapi.json"

    @app.get(f"{prefix}/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} API",
            swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon.png",
            swagger_ui_parameters={"validatorUrl": None},  # no call to validator.swagger.io
        )

    @app.get(f"{prefix}/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} API",
            redoc_js_url=f"{assets}/redoc.standalone.js",
            redoc_favicon_url=f"{assets}/favicon.png",
            with_google_fonts=False,
        )

    @app.get("/", include_in_schema=False)
    def home() -> HTMLResponse:
        return HTMLResponse(_HOME.format(version=__version__, prefix=prefix))


__all__ = ["install_docs"]
