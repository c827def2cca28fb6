"""Stage 5, validation: how faithful, useful and private the synthetic rows measure.

Reads the real, holdout and synthetic tables; runs the expectation suites, fidelity, utility,
detection, distance and attack measures (``measure.validate``). Hands on a ValidationReport.
"""
