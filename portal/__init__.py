"""The platform layer: what starts and configures the portal, as opposed to what the portal does.

It holds the one settings object (``portal.settings``, read by every layer), the command line
(``python -m portal``, which may use both ``qa/`` and ``db/`` because nothing below imports it) and, later, the
web launcher.
"""
