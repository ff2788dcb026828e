"""LEARN risk-of-harm case audits: monthly events, the sample, auditor pairs, the question set,
judgements, feedback sheets, actions, moderation and urgent concerns.

Front door: ``qa.audits.workflow`` (one audit from draft to closed actions); events and samples
start in ``qa.audits.events``.
"""
