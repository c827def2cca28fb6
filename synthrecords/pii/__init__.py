"""Stage 1, PII: find personal data in the real records and decide what to do with it.

Reads the table from ``read``; classifies every column (``scan``), then drops, fakes or redacts
direct identifiers and free text (``protect``). Hands on the protected table and the PII report.
"""
