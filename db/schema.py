"""Every table module, imported once so SQLModel.metadata knows the whole schema."""

from db import access_log, audits, dashboards, observations, organisation, reflection, supervision  # noqa: F401
