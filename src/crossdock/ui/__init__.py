"""The operator console: server-rendered pages (Jinja2 + htmx) on the API's process and services."""

from crossdock.ui.console import install_console
from crossdock.ui.session import SECRET_ENV, Signer

__all__ = ["SECRET_ENV", "Signer", "install_console"]
