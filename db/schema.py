"""Every table module, imported once so SQLModel.metadata knows the whole schema."""

from db import (  # noqa: F401
    access_log,
    audits,
    dashboards,
    notifications,
    observations,
    organisation,
    reflection,
    sessions,
    supervision,
)
