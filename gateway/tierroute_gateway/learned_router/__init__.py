"""The learned router, evaluated in process: artefact format, features, prediction, choice.

Fitting lives in `tierroute_bench.routing_eval` (scikit-learn); this package only reads a
fitted artefact and evaluates it in pure Python.
"""

from tierroute_gateway.learned_router.artefact import (
    LearnedRouter,
    LearnedRouterError,
    artefact_hash,
    canonical_artefact,
    load_learned_router,
)
from tierroute_gateway.learned_router.features import FeatureSpec, Featurizer
from tierroute_gateway.learned_router.predictor import (
    Prediction,
    Predictor,
    choose,
    choose_by_threshold,
    choose_by_tradeoff,
)

__all__ = [
    "FeatureSpec",
    "Featurizer",
    "LearnedRouter",
    "LearnedRouterError",
    "Prediction",
    "Predictor",
    "artefact_hash",
    "canonical_artefact",
    "choose",
    "choose_by_threshold",
    "choose_by_tradeoff",
    "load_learned_router",
]
