"""Where each model is sent, from a catalog or without one."""

from __future__ import annotations

from pathlib import Path

import pytest

from tierroute_bench.catalog import CatalogError, load_catalog
from tierroute_bench.targets import TargetError, endpoint_url, resolve_targets
from tierroute_bench.tasks import Modality

CATALOG = """\
apiVersion: tierroute.io/v1alpha1
kind: ModelCatalog
metadata: {name: mm}
spec:
  providers:
    - {name: dash, api: openai, baseURL: "https://dash.example/compatible-mode/v1"}
    - {name: anth, api: anthropic, baseURL: "https://anth.example"}
  models:
    - name: omni
      provider: dash
      providerModel: qwen3-omni-30b-a3b-instruct
      tier: standard
      pricing: {inputPerMillion: "5.20", outputPerMillion: "0.52"}
      contextWindow: 32768
      maxOutputTokens: 8192
      capabilities: [vision, audio]
      latency: 1500ms
      quality: "0.86"
    - name: claude
      provider: anth
      tier: premium
      pricing: {inputPerMillion: "3", outputPerMillion: "15"}
      contextWindow: 200000
      maxOutputTokens: 8192
      capabilities: [vision]
      latency: 1s
      quality: "0.9"
      tokensPerImage: 1600
"""


@pytest.fixture
def catalog_file(tmp_path: Path) -> Path:
    path = tmp_path / "catalog.yaml"
    path.write_text(CATALOG)
    return path


def resolve(names: list[str], catalog_file: Path, **where: str | None):  # type: ignore[no-untyped-def]
    options = {"gateway_url": None, "provider_url": None} | where
    return resolve_targets(
        names, load_catalog(catalog_file), catalog_label=str(catalog_file), api="openai",
        api_key="sk-test", **options,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("base", "api", "url"),
    [
        ("http://127.0.0.1:9", "openai", "http://127.0.0.1:9/v1/chat/completions"),
        ("http://127.0.0.1:9/v1/", "openai", "http://127.0.0.1:9/v1/chat/completions"),
        ("https://ark.example/api/v3", "openai", "https://ark.example/api/v3/chat/completions"),
        ("http://127.0.0.1:9", "anthropic", "http://127.0.0.1:9/v1/messages"),
    ],
)
def test_endpoint_url(base: str, api: str, url: str) -> None:
    assert endpoint_url(base, api) == url  # type: ignore[arg-type]


def test_straight_to_providers_uses_their_wire_format_and_model_ids(catalog_file: Path) -> None:
    omni, claude = resolve([], catalog_file)
    assert (omni.api, omni.request_model, omni.url) == (
        "openai", "qwen3-omni-30b-a3b-instruct",
        "https://dash.example/compatible-mode/v1/chat/completions",
    )  # fmt: skip
    assert omni.headers == {"authorization": "Bearer sk-test"}
    assert (claude.api, claude.request_model, claude.url) == (
        "anthropic", "claude", "https://anth.example/v1/messages"
    )  # fmt: skip
    assert claude.headers["x-api-key"] == "sk-test"
    assert claude.tokens_per_image == 1600
    assert "sk-test" not in repr(claude)


def test_provider_url_overrides_every_base_url(catalog_file: Path) -> None:
    omni, claude = resolve([], catalog_file, provider_url="http://127.0.0.1:9")
    assert omni.url == "http://127.0.0.1:9/v1/chat/completions"
    assert claude.url == "http://127.0.0.1:9/v1/messages"


def test_through_the_gateway_the_model_is_the_catalog_name(catalog_file: Path) -> None:
    (claude,) = resolve(["claude"], catalog_file, gateway_url="http://127.0.0.1:8")
    assert (claude.api, claude.request_model, claude.url) == (
        "openai", "claude", "http://127.0.0.1:8/v1/chat/completions"
    )  # fmt: skip


def test_model_not_in_catalog_names_model_catalog_and_choices(catalog_file: Path) -> None:
    with pytest.raises(TargetError) as caught:
        resolve(["omni", "gpt-9"], catalog_file)
    assert str(caught.value) == (
        f"model 'gpt-9' is not in ModelCatalog mm ({catalog_file}); it declares: claude, omni"
    )


def test_capabilities_decide_which_tasks_a_model_gets(catalog_file: Path) -> None:
    omni, claude = resolve([], catalog_file)
    assert omni.can_do(Modality.AUDIO, frozenset({"audio"}))
    assert not claude.can_do(Modality.AUDIO, frozenset({"audio"}))
    assert not claude.can_do(Modality.MULTIMODAL, frozenset({"image", "audio"}))
    assert claude.can_do(Modality.VISION, frozenset({"image"}))


def test_invalid_catalog_error_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(CATALOG.replace('inputPerMillion: "3"', 'inputPerMillion: "three"'))
    with pytest.raises(CatalogError, match=r"ModelCatalog mm: spec.models\[1\].pricing.input"):
        load_catalog(path)


def test_without_catalog_models_need_an_endpoint() -> None:
    with pytest.raises(TargetError, match="give --gateway or --provider-url"):
        resolve_targets(["m"], None, catalog_label="", gateway_url=None, provider_url=None,
                        api="openai", api_key=None)  # fmt: skip
