"""Where the torch engines compute: ``auto`` (CUDA when torch sees a GPU), ``cpu`` or ``cuda[:N]``.

The device is a run-time choice, never saved with a model: a fitted engine keeps its
weights on the CPU (as a loaded one does), so every model folder loads on any machine,
and only the arithmetic of fit and sample moves to the device.

Random draws stay where they were, so the device changes results by floating-point
rounding only: public draws (initial weights, fake rows, conditions, sampling noise) come
from CPU generators and are moved over. The two secret draws of DP-SGD are placed where
they are consumed: Poisson sampling indexes the real rows on the CPU with a CPU generator,
and Opacus draws the gradient noise on the gradients' device, from a secret generator
created on that device (``secret_generator``).
"""

from __future__ import annotations

import re
import secrets

import torch

from ..errors import SynthRecordsError

DEFAULT_DEVICE = "auto"
_CHOICE = re.compile(r"auto|cpu|cuda(:\d+)?")


def resolve_device(choice: str | None) -> torch.device:
    """The torch device for ``choice``; a clear error for a bad name or a missing GPU."""
    choice = DEFAULT_DEVICE if choice is None else str(choice).strip().lower()
    if not _CHOICE.fullmatch(choice):
        raise SynthRecordsError(f"device {choice!r} (--device, job key [model] device): use auto (CUDA when a GPU "
                                "is present), cpu, or cuda (cuda:N for one GPU)")
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(choice)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise SynthRecordsError(f"device {choice!r} (--device, job key [model] device): torch finds no CUDA GPU "
                                    f"on this machine (torch {torch.__version__}); use auto or cpu")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise SynthRecordsError(f"device {choice!r} (--device, job key [model] device): this machine has "
                                    f"{torch.cuda.device_count()} CUDA GPU(s), numbered from 0; use cuda or auto")
    return device


def secret_generator(device: torch.device, seed: int | None = None) -> torch.Generator:
    """A generator on ``device`` seeded from the OS's entropy (``seed``: tests only)."""
    return torch.Generator(device=device).manual_seed(secrets.randbits(63) if seed is None else seed)


def module_device(module: torch.nn.Module) -> torch.device:
    """The device of a module's parameters (the CPU for one without any)."""
    return next((p.device for p in module.parameters()), torch.device("cpu"))
