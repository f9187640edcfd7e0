"""Adapters: how a notification leaves, over HTTP to a configured URL (NOTIFY_ADAPTER).

* ``webhook``: the whole message as JSON, for the utility's own messaging platform;
* ``sms``: a generic SMS gateway, ``{to, text}``;
* ``wechat``: a WeChat template message, ``{touser, template_id, data}``, to the customer's
  ``wechat_openid`` (a property of the customer layer); a recipient without one is skipped.

Every request carries ``Idempotency-Key: notification-<id>``, the same on every attempt, so a
receiver drops a message that a worker sent, then died before noting it (delivery is at least
once), and, when NOTIFY_WEBHOOK_SECRET is set, ``X-Dispatch-Signature-256: sha256=<hex>``, the
HMAC-SHA256 of the body under that secret (as GitHub signs its webhooks): the receiver knows the
message is ours and whole.

An answer 2xx is delivered; 5xx, 408, 429, a timeout or a refused connection is tried again
later; any other answer is a refusal for good (a malformed number, say): retrying cannot help.
"""
from __future__ import annotations

import hashlib
import hmac
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Callable, Literal

import orjson

from dispatch.core.config import Settings

SIGNATURE_HEADER = "X-Dispatch-Signature-256"
Outcome = Literal["sent", "retry", "failed", "skipped"]


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    detail: str = ""


def signature(secret: str, body: bytes) -> str:
    """The signature header's value for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _webhook(message: dict[str, Any], settings: Settings) -> tuple[str, Any] | None:
    return settings.notify_webhook_url, message


def _sms(message: dict[str, Any], settings: Settings) -> tuple[str, Any] | None:
    phone = message["recipient"].get("phone")
    return (settings.notify_sms_url, {"to": phone, "text": message["text"]}) if phone else None


def _wechat(message: dict[str, Any], settings: Settings) -> tuple[str, Any] | None:
    openid = message["recipient"].get("wechat_openid")
    if not openid:
        return None
    data = {"first": {"value": message["text"]}, "keyword1": {"value": message["reference"]},
            "keyword2": {"value": message["stage"]}, "keyword3": {"value": message["etr_at"] or ""}}
    return settings.notify_wechat_url, {"touser": openid, "template_id": settings.notify_wechat_template_id,
                                        "data": data}


#: Each adapter: the URL and the body for a message, or None when the recipient has no address on it.
ADAPTERS: dict[str, Callable[[dict[str, Any], Settings], tuple[str, Any] | None]] = {
    "webhook": _webhook, "sms": _sms, "wechat": _wechat,
}


def deliver(message: dict[str, Any], settings: Settings) -> Result:
    """Send one message through NOTIFY_ADAPTER; never raises for the receiver's faults."""
    request = ADAPTERS[settings.notify_adapter](message, settings)
    if request is None:
        return Result("skipped", f"no address for {settings.notify_adapter}")
    url, payload = request
    body = orjson.dumps(payload)
    headers = {"Content-Type": "application/json", "Idempotency-Key": message["idempotency_key"]}
    if settings.notify_webhook_secret:
        headers[SIGNATURE_HEADER] = signature(settings.notify_webhook_secret, body)
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers, method="POST"),
                                    timeout=settings.notify_timeout_s) as response:
            return Result("sent", str(response.status))
    except urllib.error.HTTPError as answer:
        transient = answer.code >= 500 or answer.code in (408, 429)
        return Result("retry" if transient else "failed", f"HTTP {answer.code}")
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as why:
        return Result("retry", str(why)[:200])
