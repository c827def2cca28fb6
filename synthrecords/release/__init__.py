"""Stage 6, release: the run folder a user hands over, and its report.

Reads the synthetic table, the model's evidence and the validation report; assembles
report.json (``report``), renders report.html (``html``, ``svg``) and writes the folder
atomically (``folder``).
"""
