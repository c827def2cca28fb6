"""One seed for the global random streams every engine draws from (Python, NumPy, torch)."""

from __future__ import annotations


def seed_everything(seed: int | None) -> None:
    if seed is None:
        return
    import random

    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
