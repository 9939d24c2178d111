"""Simulator profiles: the schema, its shorthands, and profiles built from a ModelCatalog."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import yaml
from pydantic import ValidationError

from tierroute_gateway.sim.catalog import ProfileError, load_profile
from tierroute_gateway.sim.profile import Latency, ModelProfile, SimProfile, parse_duration_ms

REPOSITORY = Path(__file__).resolve().parents[3]

CATALOG = {
    "apiVersion": "tierroute.io/v1alpha1",
    "kind": "ModelCatalog",
    "metadata": {"name": "default"},
    "spec": {
        "providers": [
            {"name": "openai", "api": "openai", "baseURL": "http://127.0.0.1:1/v1"},
            {"name": "anthropic", "api": "anthropic", "baseURL": "http://127.0.0.1:2"},
        ],
        "models": [
            {
                "name": "gpt-4o",
                "provider": "openai",
                "providerModel": "gpt-4o-2024-08-06",
                "latency": "800ms",
                "quality": "0.92",
                "tier": "premium",
            },
            {"name": "claude-haiku", "provider": "anthropic", "latency": 300, "quality": "0.8"},
            {"name": "bare", "provider": "openai"},
        ],
    },
}


@pytest.mark.parametrize(
    ("value", "milliseconds"), [(250, 250.0), ("800ms", 800.0), ("1.5s", 1500.0), ("2m", 120_000.0)]
)
def test_durations_accept_milliseconds_and_units(value: object, milliseconds: float) -> None:
    assert parse_duration_ms(value, "latency") == milliseconds


@pytest.mark.parametrize("value", ["soon", -1, True, "5 parsecs"])
def test_bad_durations_are_refused_with_their_value(value: object) -> None:
    with pytest.raises(ValueError, match="latency"):
        parse_duration_ms(value, "latency")


def test_a_bare_latency_is_a_fixed_delay() -> None:
    assert Latency.model_validate("800ms") == Latency(distribution="fixed", median_ms=800)


def test_p99_below_median_is_refused() -> None:
    with pytest.raises(ValidationError, match="p99_ms"):
        Latency(distribution="lognormal", median_ms=100, p99_ms=50)


def test_fault_rates_summing_above_one_are_refused() -> None:
    with pytest.raises(ValidationError, match="at most 1"):
        ModelProfile.model_validate({"name": "m", "faults": {"error_rate": 0.6, "reset_rate": 0.6}})


def test_quality_may_be_a_decimal_string() -> None:
    assert ModelProfile.model_validate({"name": "m", "quality": "0.92"}).quality == 0.92


def test_model_ids_must_be_unique_across_names_and_aliases() -> None:
    with pytest.raises(ValidationError, match="already used"):
        SimProfile.model_validate({"models": [{"name": "a", "aliases": ["b"]}, {"name": "b"}]})


def test_the_example_profile_loads() -> None:
    profile = load_profile(REPOSITORY / "examples" / "simulator" / "profile.yaml")
    assert profile.models


def test_a_catalog_becomes_a_profile_of_its_models(tmp_path: Path) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(CATALOG))
    profile = load_profile(path, require_catalog=True)
    models = {model.name: model for model in profile.models}
    assert set(models) == {"gpt-4o-2024-08-06", "claude-haiku", "bare"}
    gpt = models["gpt-4o-2024-08-06"]
    assert gpt.aliases == ["gpt-4o"]
    assert gpt.latency.median_ms == 800
    assert gpt.latency.distribution == "lognormal"
    assert gpt.quality == 0.92
    assert models["claude-haiku"].latency.median_ms == 300
    assert models["bare"].latency.median_ms == 0


def test_a_catalog_can_be_narrowed_to_one_provider(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    path.write_bytes(orjson.dumps(CATALOG))
    profile = load_profile(path, provider="anthropic")
    assert [model.name for model in profile.models] == ["claude-haiku"]


def test_catalog_errors_name_the_document_and_field(tmp_path: Path) -> None:
    broken = orjson.loads(orjson.dumps(CATALOG))
    broken["spec"]["models"][1]["latency"] = "a while"
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(broken))
    with pytest.raises(ProfileError, match=r"spec\.models\[1\]\.latency.*a while"):
        load_profile(path)


def test_profile_errors_name_the_field_and_value(tmp_path: Path) -> None:
    path = tmp_path / "profile.yaml"
    path.write_text("models:\n  - name: m\n    quality: 1.5\n")
    with pytest.raises(ProfileError, match=r"models\.0\.quality.*1\.5"):
        load_profile(path)


def test_require_catalog_refuses_a_plain_profile(tmp_path: Path) -> None:
    path = tmp_path / "profile.yaml"
    path.write_text("models:\n  - name: m\n")
    with pytest.raises(ProfileError, match="ModelCatalog"):
        load_profile(path, require_catalog=True)
