"""Synthetic organisations with history: the region benchmark and the demo, from one engine.

``engine.py`` writes an organisation and its history as raw rows (:func:`portal.synthetic.engine.generate`);
``demo.py`` is the demo's shape, its private text and the records each README login needs (:func:`portal.synthetic.demo.load_demo`).
It sits in ``portal/`` because it uses ``qa/`` rules (judgement, sampling, feelings, rollups) and ``db/`` never may.
"""
