"""The private side of the portal: reflective journal notes, emotional debriefs, sharing one entry at a time, support requests and wellbeing figures.

Front door: ``qa.reflection.journal`` and ``qa.reflection.debriefs``; ``qa.reflection.sharing`` is the only way anyone else reads an entry.
"""
