"""The HTTP API (FastAPI): one router per domain, API-key auth, RFC 9457 errors."""

from crossdock.api.app import create_app
from crossdock.api.keys import Scope, create_api_key

__all__ = ["Scope", "create_api_key", "create_app"]
