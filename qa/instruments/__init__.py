"""Built-in audit question sets, one JSON file per set and version.

:func:`qa.instrument.ensure_builtin` adds any file here that the database does
not hold yet. Never edit a file once it has shipped: add a new file with a
higher version instead, so audits already done keep the questions they used.
"""
