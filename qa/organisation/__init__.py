"""The organisation: regions, PDUs and teams, staff accounts, and the CSV imports of staff and cases.

Front door: ``qa.organisation.org`` for the structure and ``qa.organisation.users`` for accounts.
"""
