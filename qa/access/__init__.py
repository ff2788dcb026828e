"""Who may do what, and who is doing it: the access policy, sign-in, passwords, idle time, the access log and the audit trail.

Front door: ``qa.access.policy`` (deny by default); every service asks it before reading or writing.
"""
