"""Observation of one-to-one practice on the skills framework, done with the practitioner: consent, self-rating, recording, sharing, reply and goals.

Front door: ``qa.observations.workflow``; coverage, calibration and team skill profiles read what it stores.
"""
