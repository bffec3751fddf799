"""The ``webhook`` connector: signed JSON over HTTP, in both directions.

Inbound requests are verified with Standard Webhooks and mapped to changes;
outbound deliveries are POSTed as signed JSON, one request per batch or per
delivery. Registered under the ``crossdock.connectors`` entry point
``webhook``.
"""

from crossdock.connectors.webhook.config import WebhookSettings
from crossdock.connectors.webhook.connector import WebhookConnector
from crossdock.connectors.webhook.signing import sign_request

__all__ = ["WebhookConnector", "WebhookSettings", "sign_request"]
