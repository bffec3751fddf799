"""The webhook connector's settings: where to send, how to sign, what to accept.

One Standard Webhooks secret (``whsec_`` + base64, read from the environment
variable ``secret_env`` names) verifies inbound requests and signs outbound
ones. ``url`` makes the system a destination; ``inbound`` (default: on when a
secret is configured) makes it a source of changes over HTTP.

Example (``crossdock.yaml``)::

    - name: portal
      kind: webhook
      settings:
        secret_env: PORTAL_WEBHOOK_SECRET
        url: https://portal.example.com/hooks/crossdock
        batch: true
        headers: {Authorization: "Bearer ${PORTAL_TOKEN}"}
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from crossdock.connectors.webhook.errors import config_invalid
from crossdock.observability.redaction import register_secret

#: Headers the connector sets itself; static ``headers`` may not override them.
RESERVED_HEADERS = frozenset(
    {
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
        "idempotency-key",
        "content-type",
        "content-length",
        "host",
        "transfer-encoding",
    }
)
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class WebhookSettings(BaseModel):
    """Typed settings of a ``kind: webhook`` system."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str | None = Field(
        default=None,
        description="outbound URL (http or https); set it to make the system a destination",
    )
    inbound: bool = Field(
        default=False,
        description="accept signed inbound webhooks; default: true when secret_env is set",
    )
    secret_env: str | None = Field(
        default=None,
        validate_default=True,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="environment variable holding the Standard Webhooks secret (whsec_...)",
    )
    tolerance_seconds: int = Field(
        default=300, ge=1, le=86_400, description="accepted clock skew of webhook-timestamp"
    )
    timeout_seconds: float = Field(
        default=10.0, gt=0, le=600, description="connect/read/write timeout of outbound POSTs"
    )
    batch: bool = Field(
        default=True, description="one POST per batch (true) or one POST per delivery (false)"
    )
    headers: dict[str, str] = Field(
        default_factory=dict,
        description='extra static request headers; values may embed "${ENV_NAME}"',
    )

    @model_validator(mode="before")
    @classmethod
    def _inbound_default(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "inbound" not in data:
            return {**data, "inbound": data.get("secret_env") is not None}
        return data

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            parsed = httpx.URL(value)
        except (httpx.InvalidURL, TypeError) as exc:
            raise ValueError(f"not a valid URL: {exc}") from exc
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValueError("must be an absolute http:// or https:// URL")
        return value

    @field_validator("headers")
    @classmethod
    def _check_headers(cls, value: dict[str, str]) -> dict[str, str]:
        for name, header_value in value.items():
            if not _TOKEN.match(name):
                raise ValueError(f"{name!r} is not a valid header name")
            if name.lower() in RESERVED_HEADERS:
                raise ValueError(f"{name!r} is set by the connector and cannot be overridden")
            if "\r" in header_value or "\n" in header_value:
                raise ValueError(f"value of {name!r} must not contain line breaks")
        return value

    @field_validator("secret_env")
    @classmethod
    def _check_roles(cls, value: str | None, info: ValidationInfo) -> str | None:
        url = info.data.get("url")
        inbound = info.data.get("inbound", False)
        if value is None:
            if url is not None:
                raise ValueError(
                    "outbound webhooks are signed: set secret_env to the environment "
                    "variable holding the Standard Webhooks secret (whsec_...)"
                )
            if inbound:
                raise ValueError(
                    "inbound webhooks are verified: set secret_env to the environment "
                    "variable holding the Standard Webhooks secret (whsec_...)"
                )
            raise ValueError(
                "a webhook system needs secret_env (to receive) and/or url plus secret_env "
                "(to send)"
            )
        if url is None and not inbound:
            raise ValueError("inbound is false and no url is set: the system would do nothing")
        return value


def resolve_headers(
    system: str, headers: Mapping[str, str], environ: Mapping[str, str]
) -> dict[str, str]:
    """Static headers with every ``${ENV_NAME}`` replaced from ``environ``.

    A missing variable raises ``InvalidInput`` (``config_invalid``) naming it.
    """
    out: dict[str, str] = {}
    for name, value in headers.items():

        def sub(match: re.Match[str], header: str = name) -> str:
            var = match.group(1)
            if var not in environ:
                raise config_invalid(
                    system,
                    f"headers.{header}",
                    f"environment variable {var} is not set",
                )
            register_secret(environ[var])  # a header value from the environment: a secret
            return environ[var]

        resolved = _ENV_REF.sub(sub, value)
        if "\r" in resolved or "\n" in resolved:
            raise config_invalid(
                system, f"headers.{name}", "resolved value must not contain line breaks"
            )
        out[name] = resolved
    return out


__all__ = ["RESERVED_HEADERS", "WebhookSettings", "resolve_headers"]
