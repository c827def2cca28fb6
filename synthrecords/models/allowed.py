"""What a model file may name: the classes it may rebuild, and nothing else.

Each entry is ``module:QualName`` of a class *defined* in that module (the decoder checks
``cls.__module__`` and ``cls.__qualname__``), so a name cannot reach something a module
merely imported (``os``, ``subprocess``, ``builtins``). The list holds the classes that
fitted SDV / ctgan / torch models contain (checked by tests/test_safety_models.py, which fits
every engine on a table with numbers, categories, booleans, dates and nulls) plus their close
siblings another table or setting could produce. A class missing here fails at save time,
naming it, never at load time on a user's machine.
"""

from __future__ import annotations

_RDT = {
    "rdt.hyper_transformer": ["HyperTransformer"],
    "rdt.transformers.null": ["NullTransformer"],
    "rdt.transformers.numerical": ["FloatFormatter", "ClusterBasedNormalizer", "GaussianNormalizer", "LogScaler",
                                   "LogitScaler"],
    "rdt.transformers.categorical": ["UniformEncoder", "OneHotEncoder", "LabelEncoder"],
    "rdt.transformers.ordinal": ["OrderedUniformEncoder", "OrderedLabelEncoder"],
    "rdt.transformers.boolean": ["BinaryEncoder"],
    "rdt.transformers.datetime": ["UnixTimestampEncoder", "OptimizedTimestampEncoder"],
    "rdt.transformers.id": ["IndexGenerator", "RegexGenerator"],
}
_SDV = {
    "sdv.data_processing.numerical_formatter": ["NumericalFormatter"],
    "sdv.data_processing.datetime_formatter": ["DatetimeFormatter"],
}
_COPULAS = {
    "copulas.univariate.base": ["Univariate"],
    "copulas.univariate.beta": ["BetaUnivariate"],
    "copulas.univariate.gamma": ["GammaUnivariate"],
    "copulas.univariate.gaussian": ["GaussianUnivariate"],
    "copulas.univariate.log_laplace": ["LogLaplace"],
    "copulas.univariate.student_t": ["StudentTUnivariate"],
    "copulas.univariate.truncated_gaussian": ["TruncatedGaussian"],
    "copulas.univariate.uniform": ["UniformUnivariate"],
    "copulas.multivariate.gaussian": ["GaussianMultivariate"],
}
_CTGAN = {
    "ctgan.data_transformer": ["SpanInfo", "ColumnTransformInfo", "DataTransformer"],
    "ctgan.data_sampler": ["DataSampler"],
    "ctgan.synthesizers.ctgan": ["CTGAN", "Generator", "Residual", "Discriminator"],
    "ctgan.synthesizers.tvae": ["TVAE", "Encoder", "Decoder"],
    "sklearn.mixture._bayesian_mixture": ["BayesianGaussianMixture"],
    "sklearn.mixture._gaussian_mixture": ["GaussianMixture"],
}
_TORCH = {
    "torch.nn.modules.linear": ["Linear", "Identity"],
    "torch.nn.modules.container": ["Sequential", "ModuleList"],
    "torch.nn.modules.batchnorm": ["BatchNorm1d"],
    "torch.nn.modules.normalization": ["LayerNorm"],
    "torch.nn.modules.dropout": ["Dropout"],
    "torch.nn.modules.activation": ["ReLU", "LeakyReLU", "Tanh", "Sigmoid", "GELU", "ELU", "Softmax"],
}

ALLOWED_CLASSES: frozenset[str] = frozenset(
    f"{module}:{name}" for table in (_RDT, _SDV, _COPULAS, _CTGAN, _TORCH) for module, names in table.items()
    for name in names)

# Dunder attribute names a rebuilt object may carry: copulas' ``store_args`` keeps the
# constructor's arguments there. Any other ``__x__`` name is refused.
ALLOWED_DUNDERS = frozenset({"__args__", "__kwargs__"})

# copulas replaces these four methods of a univariate fitted on a constant column with
# bound ``_constant_*`` methods; these pairs are the only bound methods a file may name.
SELF_METHODS = {"cumulative_distribution": "_constant_cumulative_distribution",
                "percent_point": "_constant_percent_point",
                "probability_density": "_constant_probability_density",
                "sample": "_constant_sample"}
