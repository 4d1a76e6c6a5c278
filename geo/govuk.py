"""GOV.UK Content API: the attachments a statistical data set page lists, and when the page changed.

Every GOV.UK page has a machine-readable twin at ``{base}/api/content{path}``. For a
``statistical_data_set`` the files are ``details.attachments[]`` (title, filename, url,
content_type) and the page's ``public_updated_at`` says when it last changed. The base address is
a setting (``AAM_GOVUK_API``, default https://www.gov.uk) so tests and locked-down networks can
point it at a stand-in.

What the API says is not trusted as a place on disk or on the network (issue 24): a file name is
reduced to a safe base name, and an attachment is taken only from GOV.UK's asset host
(``AAM_GOVUK_ASSETS``, default https://assets.publishing.service.gov.uk, settable for tests).
"""
from __future__ import annotations

import logging
import os
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from geo.download import _get_json, safe_name
from geo.errors import DownloadError

API_ENV = "AAM_GOVUK_API"
DEFAULT_API = "https://www.gov.uk"
ASSETS_ENV = "AAM_GOVUK_ASSETS"
DEFAULT_ASSETS = "https://assets.publishing.service.gov.uk"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attachment:
    """One file a GOV.UK page offers, with the page's own last-updated time."""

    title: str
    filename: str
    url: str
    content_type: str | None
    page: str
    page_updated_at: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def api_base() -> str:
    """The Content API's host, from AAM_GOVUK_API (no trailing slash)."""
    return (os.environ.get(API_ENV) or DEFAULT_API).rstrip("/")


def asset_host() -> tuple[str, str]:
    """(scheme, host[:port]) attachments must come from, from AAM_GOVUK_ASSETS."""
    parts = urlsplit((os.environ.get(ASSETS_ENV) or DEFAULT_ASSETS).rstrip("/"))
    return parts.scheme.lower(), parts.netloc.lower()


def on_asset_host(url: str) -> bool:
    """Whether an attachment address is on GOV.UK's asset host (same scheme, host and port)."""
    parts = urlsplit(url)
    return (parts.scheme.lower(), parts.netloc.lower()) == asset_host() and not parts.username


def page_path(landing_page: str) -> str:
    """'/government/statistical-data-sets/...' from a gov.uk address (or a path already)."""
    return urlsplit(landing_page).path if "://" in landing_page else landing_page


def content_url(path: str, base: str | None = None) -> str:
    return f"{base or api_base()}/api/content{page_path(path)}"


def attachments(path: str, *, base: str | None = None, timeout: float = 30, retries: int = 2,
                session: requests.Session | None = None) -> list[Attachment]:
    """The files a statistical data set page lists, in the page's order; DownloadError if unreachable."""
    base = base or api_base()
    url = content_url(path, base)
    own = session is None
    sess = session or requests.Session()
    try:
        body = _get_json(sess, url, None, timeout, retries, backoff=0.5)
    finally:
        if own:
            sess.close()
    if not isinstance(body, dict):
        raise DownloadError(f"{url}: not a Content API answer (expected a JSON object)")
    items = (body.get("details") or {}).get("attachments") or []
    updated = body.get("public_updated_at")
    out = []
    for item in items:
        if not isinstance(item, dict) or not item.get("url"):
            continue
        link = urljoin(base + "/", str(item["url"]))
        if not on_asset_host(link):
            log.warning("%s lists %s, which is not on GOV.UK's asset host: left out", url, link[:200])
            continue
        try:
            name = safe_name(item.get("filename") or link)
        except DownloadError:
            continue
        out.append(Attachment(title=str(item.get("title") or name), filename=name, url=link,
                              content_type=item.get("content_type"), page=page_path(path),
                              page_updated_at=updated))
    return out
