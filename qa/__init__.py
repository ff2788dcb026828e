"""The domain and its services. Nothing here imports Streamlit."""

# Registers the session hooks that keep the dashboard rollups equal to their records,
# so that every process that writes through qa (portal, CLI, tests) maintains them.
from qa.dashboards import rollups as _rollups  # noqa: E402,F401
