"""``POST /v1/webhooks/{system}``: inbound webhooks, verified by signature, ingested later.

This is the one route besides health that takes no API key: a sender
proves itself with its Standard Webhooks signature (``webhook-id``,
``webhook-timestamp``, ``webhook-signature``), which the system's connector
verifies. The request is recorded in the inbox and answered 202; the ingest
runs after the answer, one inbox drain at a time per process.
"""

from __future__ import annotations

import logging
import threading

from fastapi import APIRouter, BackgroundTasks
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from crossdock.api.deps import HubDep, SystemPath
from crossdock.api.problems import ApiError, problem_responses
from crossdock.errors import BadSignature, ErrorCode, InvalidInput
from crossdock.sync.runtime import Hub

log = logging.getLogger(__name__)
router = APIRouter(tags=["webhooks"])
_drain_lock = threading.Lock()

MAX_WEBHOOK_BYTES = 5 * 1024 * 1024

_DESCRIPTION = f"""\
**No API key**: this endpoint is authenticated by the request's Standard Webhooks
signature (headers `webhook-id`, `webhook-timestamp`, `webhook-signature`), checked
with the secret configured for the system. A bad or missing signature answers 401.

The body (at most {MAX_WEBHOOK_BYTES} bytes, else 413) is verified, mapped and kept
in the inbox; the answer is 202 with the inbox id, and the changes are ingested
after the answer. Every signature failure, and a system name that takes no
webhooks, answers the same 401 (the reason is in the hub's log), so the answer
does not tell which system names exist.
"""

#: The one answer to an unsigned or badly signed request, whatever the system.
NOT_SIGNED = (
    "The request is not signed for a system that receives webhooks here: check the "
    "system name in the URL, the secret, and the webhook-id, webhook-timestamp and "
    "webhook-signature headers (the hub's log says which check failed)."
)


def _not_signed() -> ApiError:
    return ApiError(
        401,
        ErrorCode.BAD_SIGNATURE,
        NOT_SIGNED,
        headers={"WWW-Authenticate": 'StandardWebhooks realm="crossdock"'},
    )


class WebhookAccepted(BaseModel):
    accepted: bool
    inbox_id: int


def drain_inbox(hub: Hub) -> None:
    """Ingest recorded webhook payloads; failures are logged, the rows stay pending."""
    with _drain_lock:
        try:
            report = hub.process_inbox()
        except Exception:
            log.exception("processing the webhook inbox failed; pending rows stay pending")
            return
    log.info("webhook inbox processed: %s", report.as_dict())


@router.post(
    "/webhooks/{system}",
    status_code=202,
    response_model=WebhookAccepted,
    summary="Receive a signed webhook from a system (no API key)",
    description=_DESCRIPTION,
    responses=problem_responses(401, 413, 422, 503),
    openapi_extra={
        "security": [],
        "requestBody": {
            "required": True,
            "description": "the system's native payload, exactly as signed",
            "content": {"application/json": {"schema": {}}},
        },
    },
)
async def receive_webhook(
    system: SystemPath, request: Request, hub: HubDep, background: BackgroundTasks
) -> WebhookAccepted:
    body = await request.body()
    headers = {key.lower(): value for key, value in request.headers.items()}
    if not await run_in_threadpool(hub.receives_webhooks, system):
        log.info("webhook refused: no system %r receives webhooks", system)
        raise _not_signed()
    try:
        inbox_id = await run_in_threadpool(hub.receive_webhook, system, headers, body)
    except BadSignature as exc:
        log.info("webhook for %s refused: %s", system, exc.message)
        raise _not_signed() from None
    except UnicodeError as exc:
        # The connector mapped text the store cannot encode (e.g. an unpaired surrogate
        # written as "\ud800" in the JSON): the sender's input, so a 422, not a 500.
        raise InvalidInput(
            "the payload holds text that is not valid Unicode, such as an unpaired "
            "surrogate escape (\\ud800)",
            field="body",
            code=ErrorCode.VALIDATION_FAILED,
        ) from exc
    background.add_task(drain_inbox, hub)
    return WebhookAccepted(accepted=True, inbox_id=inbox_id)
