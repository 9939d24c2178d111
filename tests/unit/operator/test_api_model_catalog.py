"""ModelCatalog: the seed's catalog loads as the seed wrote it; broken catalogs name the field."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from tierroute_gateway.routing_table import Capability, Tier
from tierroute_operator.api import ModelCatalog
from tierroute_operator.api.field_types import parse_duration_ms
from tierroute_operator.api.meta import ObjectMeta
from tierroute_operator.api.model_catalog import (
    MAX_MODELS,
    CatalogModel,
    ModelCatalogSpec,
    Pricing,
    Provider,
)
from tierroute_operator.api.validation_errors import describe_validation_error

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"

# The seed's MODEL_CATALOG: provider, tier, input and output USD per 1M, context window,
# capabilities, average latency in ms, quality score.
SEED = {
    "gpt-4o": ("openai", "premium", "2.50", "10.00", 128000,
               "reasoning coding vision long_context", 800, "0.92"),
    "claude-3-5-sonnet": ("anthropic", "premium", "3.00", "15.00", 200000,
                          "reasoning coding long_context", 1000, "0.94"),
    "o1": ("openai", "premium", "15.00", "60.00", 200000, "reasoning coding", 15000, "0.98"),
    "gpt-4o-mini": ("openai", "standard", "0.15", "0.60", 128000,
                    "reasoning coding vision", 400, "0.82"),
    "claude-3-5-haiku": ("anthropic", "standard", "0.80", "4.00", 200000,
                         "reasoning coding", 300, "0.80"),
    "gemini-2-flash": ("google", "standard", "0.10", "0.40", 1000000,
                       "reasoning long_context vision", 250, "0.78"),
    "llama-3-70b": ("self-hosted", "economy", "0.05", "0.05", 8192,
                    "reasoning coding", 200, "0.75"),
    "mistral-large": ("mistral", "economy", "2.00", "6.00", 128000,
                      "reasoning coding multilingual", 500, "0.76"),
}  # fmt: skip


def load_example(name: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((EXAMPLES / name).read_text())
    return document


def problems(document: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as caught:
        ModelCatalog.model_validate(document)
    return describe_validation_error(caught.value)


def paths(document: dict[str, Any]) -> list[str]:
    return [path for path, _ in problems(document)]


@pytest.fixture
def seed() -> dict[str, Any]:
    return copy.deepcopy(load_example("seed-catalog.yaml"))


def test_seed_catalog_holds_the_seeds_eight_models_exactly(seed: dict[str, Any]) -> None:
    catalog = ModelCatalog.model_validate(seed)
    found = {
        model.name: (
            model.provider,
            model.tier.value,
            model.pricing.input_per_million,
            model.pricing.output_per_million,
            model.context_window,
            " ".join(sorted(model.capabilities)),
            parse_duration_ms(model.latency),
            model.quality,
        )
        for model in catalog.spec.models
    }
    expected = {
        name: (*row[:5], " ".join(sorted(row[5].split())), *row[6:]) for name, row in SEED.items()
    }
    assert found == expected


def test_seed_providers_are_the_five_of_the_seed_and_self_hosted_needs_no_key(
    seed: dict[str, Any],
) -> None:
    catalog = ModelCatalog.model_validate(seed)
    providers = {provider.name: provider for provider in catalog.spec.providers}
    assert set(providers) == {"openai", "anthropic", "google", "self-hosted", "mistral"}
    assert providers["self-hosted"].credentials is None
    assert all(p.credentials for name, p in providers.items() if name != "self-hosted")


def test_multimodal_catalog_has_audio_only_on_qwen3_omni() -> None:
    catalog = ModelCatalog.model_validate(load_example("multimodal-catalog.yaml"))
    with_audio = [m.name for m in catalog.spec.models if Capability.AUDIO in m.capabilities]
    assert with_audio == ["qwen3-omni-30b"]
    assert all(Capability.VISION in model.capabilities for model in catalog.spec.models)


def test_multimodal_prices_reproduce_the_seeds_cost_per_ten_thousand_images() -> None:
    seed_cost = {"qwen3-vl-32b": 26, "qwen3-omni-30b": 26, "glm-4.6v": 40, "glm-4.5v": "0.50",
                 "hunyuan-vision": 60, "doubao-seed-2.0-pro": 150}  # fmt: skip
    catalog = ModelCatalog.model_validate(load_example("multimodal-catalog.yaml"))
    for model in catalog.spec.models:
        tokens = 10_000 * model.tokens_per_image
        cost = Decimal(model.pricing.input_per_million) * tokens / 1_000_000
        assert cost == Decimal(str(seed_cost[model.name])), model.name


def test_only_the_premium_multimodal_model_has_a_128k_context() -> None:
    catalog = ModelCatalog.model_validate(load_example("multimodal-catalog.yaml"))
    for model in catalog.spec.models:
        assert (model.context_window > 32768) == (model.tier is Tier.PREMIUM), model.name


def test_provider_model_defaults_to_the_catalog_name(seed: dict[str, Any]) -> None:
    catalog = ModelCatalog.model_validate(seed)
    gpt = catalog.spec.model("gpt-4o")
    haiku = catalog.spec.model("claude-3-5-haiku")
    assert gpt is not None
    assert gpt.provider_model_id == "gpt-4o"
    assert haiku is not None
    assert haiku.provider_model_id == haiku.provider_model


def test_defaults_of_a_provider_and_a_model(seed: dict[str, Any]) -> None:
    catalog = ModelCatalog.model_validate(seed)
    openai = catalog.spec.provider("openai")
    gpt = catalog.spec.model("gpt-4o")
    assert openai is not None
    assert (openai.timeout, openai.connect_timeout) == ("60s", "5s")
    assert gpt is not None
    assert (gpt.tokens_per_image, gpt.disabled) == (500, False)


def test_negative_price_names_the_price_field(seed: dict[str, Any]) -> None:
    seed["spec"]["models"][3]["pricing"]["inputPerMillion"] = "-0.15"
    assert problems(seed) == [
        (
            "spec.models[3].pricing.inputPerMillion",
            "'-0.15' is not a non-negative decimal string such as \"2.50\"",
        )
    ]


def test_a_bad_cache_write_price_names_its_field(seed: dict[str, Any]) -> None:
    seed["spec"]["models"][1]["pricing"]["cacheWriteInputPerMillion"] = "1.25x"
    assert paths(seed) == ["spec.models[1].pricing.cacheWriteInputPerMillion"]


def test_a_float_price_is_refused(seed: dict[str, Any]) -> None:
    seed["spec"]["models"][0]["pricing"]["outputPerMillion"] = 10.0
    assert paths(seed) == ["spec.models[0].pricing.outputPerMillion"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("tier", "gold"), ("capabilities", ["reasoning", "telepathy"]), ("latency", "fast"),
     ("quality", "1.2"), ("contextWindow", 0), ("name", "GPT_4o")],
)  # fmt: skip
def test_invalid_model_fields_are_named(seed: dict[str, Any], field: str, value: object) -> None:
    seed["spec"]["models"][2][field] = value
    assert all(path.startswith(f"spec.models[2].{field}") for path in paths(seed))


def test_duplicate_model_names_name_the_second_entry(seed: dict[str, Any]) -> None:
    seed["spec"]["models"][5]["name"] = "gpt-4o"
    assert problems(seed) == [
        ("spec.models[5].name", "duplicate name 'gpt-4o' (already used by entry 0)")
    ]


def test_duplicate_capabilities_are_refused(seed: dict[str, Any]) -> None:
    seed["spec"]["models"][0]["capabilities"] = ["coding", "coding"]
    assert paths(seed) == ["spec.models[0].capabilities[1]"]


def test_a_model_of_an_undeclared_provider_is_refused(seed: dict[str, Any]) -> None:
    seed["spec"]["models"][7]["provider"] = "cohere"
    assert problems(seed) == [
        ("spec.models[7].provider", "'cohere' is not declared in spec.providers")
    ]


def test_duplicate_provider_names_are_refused(seed: dict[str, Any]) -> None:
    seed["spec"]["providers"][4]["name"] = "openai"
    assert "spec.providers[4].name" in paths(seed)


def test_output_longer_than_the_context_window_is_refused(seed: dict[str, Any]) -> None:
    seed["spec"]["models"][6]["maxOutputTokens"] = 9000
    assert paths(seed) == ["spec.models[6].maxOutputTokens"]


def test_credentials_in_headers_are_refused(seed: dict[str, Any]) -> None:
    seed["spec"]["providers"][0]["headers"] = {"Authorization": "Bearer sk-x", "X-Team": "a"}
    assert paths(seed) == ["spec.providers[0].headers.Authorization"]


def test_unknown_fields_are_refused(seed: dict[str, Any]) -> None:
    seed["spec"]["models"][0]["inputCost"] = "2.50"
    assert problems(seed) == [("spec.models[0].inputCost", "unknown field")]


def test_more_models_than_the_maximum_are_refused(seed: dict[str, Any]) -> None:
    model = seed["spec"]["models"][0]
    seed["spec"]["models"] = [{**model, "name": f"m{index}"} for index in range(10_000)]
    (path, message), *rest = problems(seed)
    assert (path, rest) == ("spec.models", [])
    assert str(MAX_MODELS) in message


def test_a_catalog_builds_from_python_names_too() -> None:
    catalog = ModelCatalog(
        metadata=ObjectMeta(name="mini"),
        spec=ModelCatalogSpec(
            providers=(Provider(name="local", api="openai", base_url="http://127.0.0.1:9/v1"),),
            models=(
                CatalogModel(
                    name="tiny",
                    provider="local",
                    tier=Tier.ECONOMY,
                    pricing=Pricing(input_per_million="0", output_per_million="0"),
                    context_window=4096,
                    max_output_tokens=512,
                    latency="100ms",
                    quality="0.5",
                ),
            ),
        ),
    )
    dumped = catalog.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert dumped["apiVersion"] == "tierroute.io/v1alpha1"
    assert dumped["spec"]["providers"][0]["baseURL"] == "http://127.0.0.1:9/v1"
    assert ModelCatalog.model_validate(dumped) == catalog
