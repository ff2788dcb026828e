"""Data-protection duties: retention of old private entries, erasure for a departing person, and subject access.

Front door: ``qa.privacy.subject_access``; retention and erasure are run by administrators.
"""
