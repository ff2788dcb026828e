"""Dashboard figures for teams, PDUs and the region, their filters, and the rollup tables that keep them fast.

Front door: ``qa.dashboards.figures``; ``qa.dashboards.rollups`` keeps the rollups equal to the records.
"""
