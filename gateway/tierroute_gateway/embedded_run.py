"""`tierroute run`: start the embedded default and tell the user how to talk to it."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from tierroute_gateway.embedded import StackError, embedded_stack, wait_for_exit
from tierroute_gateway.manifests_source import CompilerMissingError
from tierroute_gateway.routing_table import RoutingTable, content_hash


def table_summary(table: RoutingTable) -> str:
    """The routing table in a few lines: routes, models by tier with prices, budget."""
    lines = [f"policy {table.source.policy} ({content_hash(table)[:19]}…)"]
    for route in table.routes:
        chain = f", chain {route.fallback_chain}" if route.fallback_chain else ""
        lines.append(
            f"  route {route.name}: {route.strategy.value}, category {route.category}{chain}"
        )
    for tier in ("premium", "standard", "economy"):
        models = [m for m in table.models if m.tier.value == tier]
        described = ", ".join(
            f"{m.name} (${m.pricing.input_per_million}/${m.pricing.output_per_million})"
            for m in sorted(models, key=lambda m: m.name)
        )
        lines.append(f"  {tier:8s} {described or '-'}")
    if table.budget is not None:
        shares = ", ".join(
            f"{c.name} ${c.allocated} ({c.when_exhausted.value})" for c in table.budget.categories
        )
        lines.append(f"  budget {table.budget.name}: {shares}")
    return "\n".join(lines)


def usage_examples(url: str) -> str:
    """Ready-to-paste commands against the gateway at `url`."""
    body = (
        '{"model": "auto", "messages": [{"role": "user", '
        '"content": "Classify this review as positive or negative: great product!"}]}'
    )
    sdk = (
        "from openai import OpenAI\n"
        f'client = OpenAI(base_url="{url}/v1", api_key="unused")\n'
        "raw = client.chat.completions.with_raw_response.create(\n"
        '    model="auto", messages=[{"role": "user", "content": "Design a cache for a '
        'read-heavy API"}])\n'
        'print(raw.headers["x-tierroute-model"], raw.headers["x-tierroute-cost-usd"])\n'
        "print(raw.parse().choices[0].message.content)"
    )
    return "\n".join(
        [
            "curl:",
            f"  curl -si {url}/v1/chat/completions -H 'content-type: application/json' \\",
            f"    -d '{body}'",
            f"  curl -s {url}/v1/route -H 'content-type: application/json' -d '{body}'",
            f"  curl -s {url}/v1/models",
            "OpenAI SDK (python3 - <<'EOF' ... EOF):",
            *(f"  {line}" for line in sdk.splitlines()),
            f"metrics: {url}/metrics    scripted tour: tierroute demo",
        ]
    )


def run_embedded(manifests: Sequence[Path], policy: str | None, *, port: int, seed: int) -> int:
    """Serve until interrupted; exit 1 if a server dies, 2 if the stack cannot start."""
    with tempfile.TemporaryDirectory(prefix="tierroute-run-") as workdir:
        try:
            with embedded_stack(
                manifests, policy, workdir=Path(workdir), port=port, seed=seed, echo=True
            ) as stack:
                print(table_summary(stack.table))
                print(
                    f"\nsimulated providers: {stack.sim_url} (admin: {stack.sim_url}/admin/models)"
                )
                print(f"gateway: {stack.gateway_url}\n")
                print(usage_examples(stack.gateway_url), flush=True)
                died = wait_for_exit(stack.servers)
                if died is not None:
                    print(f"tierroute run: {died.name} exited; stopping", file=sys.stderr)
                    return 1
        except (ValueError, CompilerMissingError, StackError) as error:
            print(f"tierroute run: {error}", file=sys.stderr)
            return 2
    return 0
