"""``POST /v1/as2/{system}``: AS2 messages from a trading partner, proven by their signature.

Like the webhook route it takes no API key: the partner's signature, checked
against the certificate the hub file names for that partner, is the
authentication, and the message must also be encrypted to the hub's key. A
message that is unsigned, badly signed, not encrypted, or for a system that
does not send by AS2 answers one 401 problem (the hub's log says which check
failed). A verified message is processed like a file in the partner's
mailbox (once: by AS2 message id and content hash) and answered by the
signed MDN, synchronously, or, when the partner asks for it at a URL
(``Receipt-Delivery-Option``), by an empty 200 at once, the MDN being posted
there afterwards through a durable, retried queue.

``POST /v1/as2/{system}/mdn`` takes the partner's asynchronous MDNs for what
the hub sent (``mdn_url``): authenticated the same way, by the partner's
signature on the MDN; one that is unsigned, badly signed or answers no message
the hub sent answers the same 401.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from crossdock.api.deps import SystemPath, application_of
from crossdock.api.problems import ApiError, problem_responses
from crossdock.errors import BadSignature, ErrorCode

log = logging.getLogger(__name__)
router = APIRouter(tags=["edi"])

MAX_AS2_BYTES = 20 * 1024 * 1024

NOT_PROVEN = (
    "The message is not a signed and encrypted AS2 message from a partner that sends here: "
    "check the system name in the URL, the AS2-From and AS2-To names, and the certificates "
    "(the hub's log says which check failed)."
)

_DESCRIPTION = f"""\
**No API key**: the AS2 message's S/MIME signature, verified against the partner's
certificate from the hub file, authenticates it; it must also be encrypted to the hub.
Anything else answers 401 as a problem document.

A verified message (at most {MAX_AS2_BYTES} bytes) is processed like a file dropped in the
partner's mailbox: its 850s and 860s go to the order intake, a 997 is queued for the
partner. A message id or content already taken is not processed again. The answer is the
signed MDN (`multipart/signed`), synchronously; when the message asks for an asynchronous
MDN (`Receipt-Delivery-Option`), an empty 200 at once, and the signed MDN is posted to that
URL afterwards (queued durably, retried, once per message id).
"""


@router.post(
    "/as2/{system}",
    summary="Receive an AS2 message from a trading partner (no API key)",
    description=_DESCRIPTION,
    responses={
        200: {"description": "the signed MDN", "content": {"multipart/signed": {}}},
        **problem_responses(401, 413),
    },
    openapi_extra={
        "security": [],
        "requestBody": {
            "required": True,
            "description": (
                "the AS2 message body exactly as sent; its Content-Type is the AS2 one "
                "(application/pkcs7-mime, or multipart/signed when not encrypted: refused)"
            ),
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        },
    },
)
async def receive_as2(system: SystemPath, request: Request) -> Response:
    body = await request.body()
    headers = {key: value for key, value in request.headers.items()}
    application = application_of(request)
    try:
        answer = await run_in_threadpool(application.receive_signed, system, headers, body)
    except BadSignature as exc:
        log.info("AS2 message for %s refused: %s", system, exc.message)
        raise ApiError(
            401,
            ErrorCode.BAD_SIGNATURE,
            NOT_PROVEN,
            headers={"WWW-Authenticate": 'AS2 realm="crossdock"'},
        ) from None
    media = answer.headers.pop("Content-Type", None) or answer.headers.pop("content-type", None)
    return Response(
        answer.body,
        status_code=answer.status,
        headers=answer.headers,
        media_type=media,
        background=BackgroundTask(answer.after) if answer.after is not None else None,
    )


@router.post(
    "/as2/{system}/mdn",
    summary="Receive an asynchronous AS2 MDN from a trading partner (no API key)",
    description=(
        "**No API key**: the MDN's S/MIME signature, verified against the partner's "
        "certificate, authenticates it. It must answer an AS2 message the hub sent asking for "
        "an asynchronous MDN (`mdn_url`); its MIC is compared with the one sent. A processed "
        "MDN settles the message (a repeat changes nothing); anything unproven answers 401."
    ),
    status_code=200,
    responses={200: {"description": "the MDN was taken"}, **problem_responses(401, 413)},
    openapi_extra={
        "security": [],
        "requestBody": {
            "required": True,
            "description": "the signed MDN exactly as sent (multipart/signed)",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        },
    },
)
async def receive_as2_mdn(system: SystemPath, request: Request) -> Response:
    body = await request.body()
    headers = {key: value for key, value in request.headers.items()}
    application = application_of(request)
    try:
        await run_in_threadpool(application.receive_signed_receipt, system, headers, body)
    except BadSignature as exc:
        log.info("AS2 MDN for %s refused: %s", system, exc.message)
        raise ApiError(
            401,
            ErrorCode.BAD_SIGNATURE,
            NOT_PROVEN,
            headers={"WWW-Authenticate": 'AS2 realm="crossdock"'},
        ) from None
    return Response(status_code=200)


__all__ = ["MAX_AS2_BYTES", "router"]
