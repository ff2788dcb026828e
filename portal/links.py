"""Full addresses into the portal, for links in emails.

``qa/`` never names a screen, so the sender (qa/notifications/sender.py) is given
these links by whoever runs it: ``python -m portal send-notifications``, the
Settings screen's test email, the tests and the benchmark. They come from the
one place that maps a record kind to the screen that opens it,
``pages/_registry.RECORD_SCREENS``, and start with the ``portal_base_url``
setting. A link opened while signed out shows the sign-in form, then the record
(app.py keeps every screen's address for that).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from pages import _registry as screens
from portal.settings import get_settings
from qa.records import RecordKind


@dataclass(frozen=True)
class RegistryLinks:
    """:class:`qa.notifications.email.Links` from the screen registry."""

    base_url: str

    def _url(self, path: str, query: dict[str, int] | None = None) -> str:
        return f"{self.base_url}/{path}" + (f"?{urlencode(query)}" if query else "")

    def record(self, kind: RecordKind, record_id: int) -> str:
        screen, param = screens.RECORD_SCREENS[kind]
        return self._url(screen.url_path, {param: record_id} if param else None)

    def inbox(self) -> str:
        return self._url(screens.NOTIFICATIONS.url_path)

    def preferences(self) -> str:
        return self._url(screens.NOTIFICATION_PREFERENCES.url_path)


def portal_links(base_url: str | None = None) -> RegistryLinks:
    """Links starting with ``base_url``, or the ``portal_base_url`` setting."""
    return RegistryLinks((base_url or get_settings().portal_base_url).rstrip("/"))
