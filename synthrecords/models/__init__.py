"""Stage 3, models: the engines that learn the table and generate rows (``train`` is the registry).

Reads the protected table and the (released) domain; under DP only through DP-SGD and the
noisy pair tables, both on the ledger. Hands on a fitted engine that samples rows, saved as
JSON + safetensors (``modelstate``), never pickle.
"""
