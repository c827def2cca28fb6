"""Stage 2, privacy: the one accountant and the DP release of the table's domain.

Reads the protected table once, under a Gaussian mechanism (``domain``), and records every
mechanism that touches real data in the ledger (``ledger``; across fits, ``budget``). Hands on
the released domain, from which everything after it is post-processing.
"""
