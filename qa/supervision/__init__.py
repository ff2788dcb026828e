"""Supervision records between an SPO and a practitioner: the agenda drawn from the other domains, the record, sign-off and cadence.

Front door: ``qa.supervision.records``; ``qa.supervision.agenda`` gathers what is waiting to be discussed.
"""
