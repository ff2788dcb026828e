"""Every table module, imported once so SQLModel.metadata knows the whole schema."""

from db import access_log, case_audits, dashboard_rollups, models, observations, reflection, supervision  # noqa: F401
