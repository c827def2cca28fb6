"""Stage 5, train: the engines that learn a table and sample from it.

``dpctgan`` (module ``dpctgan``) and ``marginals`` (module ``marginals``: AIM-style adaptive
marginals and a graphical model) are the DP engines: with an epsilon their training is in the
ledger. SDV engines (``gaussian_copula``, ``ctgan``, ``tvae``) give no formal privacy guarantee:
they fit their encoders and model on the real rows directly. They exist for comparison
and for data that needs no formal guarantee; the pipeline refuses them when an epsilon
is set. Every engine saves to JSON + safetensors (see ``modelstate``), never pickle.
"""

from __future__ import annotations

import json
import logging
import secrets
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from ..domain import Domain
from ..errors import SynthRecordsError
from ..privacy.ledger import PrivacyLedger
from .modelstate import load_state, save_state
from .seeding import seed_everything

log = logging.getLogger(__name__)
TABLE = "records"


class Engine(Protocol):
    name: str
    private: bool  # True when training is accounted in the ledger

    def fit(self, data: pd.DataFrame, domain: Domain, ledger: PrivacyLedger, *, seed: int | None) -> None: ...
    def sample(self, n: int, *, seed: int | None, conditions: dict[str, Any] | None = None) -> pd.DataFrame: ...
    def save(self, folder: Path) -> None: ...


class SDVEngine:
    """An SDV single-table synthesizer, fitted on the real rows (no DP)."""

    private = False
    # SDV attributes rebuilt from our own metadata at load time instead of being stored.
    _REBUILT = ("_input_metadata", "metadata", "_original_metadata", "_data_processor")
    _gpu = False  # set by fit from ``device``; a loaded model samples on the CPU (modelstate)

    def __init__(self, name: str, epochs: int | None = None) -> None:
        self.name = name
        self.epochs = epochs
        self.device = "auto"  # ctgan/tvae train on a GPU only when it resolves to CUDA (not saved)
        self.synthesizer_: Any = None
        self.metadata_: Any = None

    def _params(self) -> dict[str, Any]:
        if self.name == "gaussian_copula":
            return {"enforce_min_max_values": True, "enforce_rounding": True}
        return {"epochs": self.epochs or 300, "enforce_min_max_values": True, "enforce_rounding": True,
                "enable_gpu": self._gpu}

    def _new(self, metadata: Any) -> Any:
        from sdv.single_table import CTGANSynthesizer, GaussianCopulaSynthesizer, TVAESynthesizer

        cls = {"gaussian_copula": GaussianCopulaSynthesizer, "ctgan": CTGANSynthesizer, "tvae": TVAESynthesizer}[self.name]
        return cls(metadata, **self._params())

    def fit(self, data: pd.DataFrame, domain: Domain, ledger: PrivacyLedger, *, seed: int | None) -> None:
        check_privacy(self, ledger)
        seed_everything(seed)
        from .device import resolve_device

        self._gpu = resolve_device(self.device).type == "cuda"
        self.metadata_ = domain.to_sdv_metadata(TABLE)
        self.synthesizer_ = self._new(self.metadata_)
        self.synthesizer_.fit({TABLE: data[domain.names]})

    def sample(self, n: int, *, seed: int | None, conditions: dict[str, Any] | None = None) -> pd.DataFrame:
        from sdv.sampling import Condition

        # Without a seed SDV would replay the same fixed stream after every load.
        seed = secrets.randbits(31) if seed is None else seed
        seed_everything(seed)
        self.synthesizer_.reset_sampling()
        self.synthesizer_._set_random_state(seed)
        if conditions:
            out = self.synthesizer_.sample_from_conditions([Condition(column_values=conditions, num_rows=n)])
        else:
            out = self.synthesizer_.sample(num_rows=n)
        return _single_table(out).reset_index(drop=True)

    def save(self, folder: Path) -> None:
        self.metadata_.save_to_json(str(folder / "metadata.json"))
        (folder / "engine.json").write_text(json.dumps({"engine": self.name, "epochs": self.epochs}))
        synth = {k: v for k, v in vars(self.synthesizer_).items() if k not in self._REBUILT}
        processor = {k: v for k, v in vars(self.synthesizer_._data_processor).items()
                     if k not in ("metadata", "_transformers_by_sdtype")}
        save_state({"synthesizer": synth, "processor": processor}, folder, "sdv_state")

    @classmethod
    def load(cls, folder: Path) -> SDVEngine:
        from sdv.metadata import Metadata

        spec = json.loads((folder / "engine.json").read_text())
        engine = cls(spec["engine"], spec.get("epochs"))
        engine.metadata_ = Metadata.load_from_json(str(folder / "metadata.json"))
        fresh = engine._new(engine.metadata_)
        state = load_state(folder, "sdv_state")
        fresh.__dict__.update(state["synthesizer"])
        fresh._data_processor.__dict__.update(state["processor"])
        engine.synthesizer_ = fresh
        return engine


def _single_table(out: Any) -> pd.DataFrame:
    # SDV 2.0 returns {table_name: frame} for single tables; older versions a frame.
    return next(iter(out.values())) if isinstance(out, dict) else out


def check_privacy(engine: Engine, ledger: PrivacyLedger) -> None:
    """Refuse to train a non-private engine when the user asked for an epsilon."""
    if ledger.is_private and not engine.private:
        raise SynthRecordsError(
            f"model {engine.name!r} gives no formal privacy guarantee, but epsilon={ledger.epsilon} was set; "
            "use a DP model, or leave epsilon unset to train without DP"
        )


def _engines() -> dict[str, type]:
    from .dpctgan import DPCTGANEngine  # imports torch/opacus: only when a model is built
    from .marginals import MarginalsEngine  # jax/mbi load only inside its fit

    return {"dpctgan": DPCTGANEngine, "marginals": MarginalsEngine, "gaussian_copula": SDVEngine,
            "ctgan": SDVEngine, "tvae": SDVEngine}


ENGINE_NAMES = ("dpctgan", "marginals", "gaussian_copula", "ctgan", "tvae")
# What each model promises, for the CLI help, the report and the dashboard.
GUARANTEES = {"dpctgan": "differential privacy when epsilon is set (domain release and DP-SGD in one ledger)",
              "marginals": "differential privacy when epsilon is set (domain release, selected noisy marginals and "
                           "their selections in one ledger)",
              "gaussian_copula": "no formal guarantee (SDV, fitted on the real rows)",
              "ctgan": "no formal guarantee (SDV, fitted on the real rows)",
              "tvae": "no formal guarantee (SDV, fitted on the real rows)"}


def make_engine(name: str, epochs: int | None = None) -> Engine:
    if name not in ENGINE_NAMES:
        raise SynthRecordsError(f"unknown model {name!r}; choose one of {', '.join(ENGINE_NAMES)}")
    if epochs is not None and name in ("gaussian_copula", "marginals"):  # said, not silently ignored
        log.warning("epochs=%s is ignored: %s has no training epochs (they apply to dpctgan, ctgan and tvae)",
                    epochs, name)
    return _engines()[name](name, epochs)


def load_engine(folder: Path) -> Engine:
    try:
        name = json.loads((folder / "engine.json").read_text())["engine"]
    except (OSError, ValueError, KeyError) as exc:
        raise SynthRecordsError(f"{folder} is not a model folder (engine.json unreadable: {exc}); create one with `synthrecords fit`") from exc
    if name not in ENGINE_NAMES:
        raise SynthRecordsError(f"{folder}: model {name!r} is not known to this version of synthrecords")
    return _engines()[name].load(folder)
