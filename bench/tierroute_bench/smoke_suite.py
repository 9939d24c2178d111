"""A smoke suite that needs no network: media generated on the spot, each with ground truth.

Images are drawn with Pillow: rendered text (OCR), bar charts (chart questions), shapes and
colours (visual detail). Audio is spoken digits from Debian's espeak-ng when it is installed,
otherwise tone bursts to count, written with the standard `wave` module. A few text tasks
exercise the JSON and regex scorers. The same seed gives the same suite.
"""

from __future__ import annotations

import math
import random
import shutil
import struct
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from PIL import Image, ImageDraw, ImageFont

ESPEAK = "espeak-ng"
ESPEAK_TIMEOUT_S = 30
TONE_RATE_HZ = 16_000
_WORDS = (
    "ALPHA",
    "BRAVO",
    "CEDAR",
    "DELTA",
    "EMBER",
    "FALCON",
    "GARNET",
    "HARBOR",
    "INDIGO",
    "JASPER",
    "KESTREL",
    "LUMEN",
    "MAPLE",
    "NECTAR",
    "ORBIT",
    "PEBBLE",
    "QUARTZ",
    "RIVER",
    "SALMON",
    "TUNDRA",
    "UMBER",
    "VELVET",
    "WILLOW",
    "XENON",
    "YONDER",
    "ZEPHYR",
)
_COLOURS = {"red": (220, 40, 40), "green": (40, 160, 60), "blue": (40, 80, 220)}
_SHAPES = ("circle", "square", "triangle")
_PEOPLE = ("Alice", "Bruno", "Chen", "Dara", "Emeka", "Farah", "Goran", "Hana")


@dataclass(frozen=True)
class SmokeSuite:
    """Where the suite was written and what its audio is made of."""

    suite_path: Path
    tasks: int
    audio_source: str


def write_smoke_suite(
    directory: Path,
    *,
    per_kind: int = 10,
    seed: int = 7,
    catalog: Path | None = None,
    simulator: bool = False,
    use_espeak: bool | None = None,
) -> SmokeSuite:
    """Write `suite.yaml` and its media under `directory`; returns where and how much."""
    rng = random.Random(seed)
    (directory / "images").mkdir(parents=True, exist_ok=True)
    (directory / "audio").mkdir(parents=True, exist_ok=True)
    espeak = shutil.which(ESPEAK) if use_espeak is not False else None
    if use_espeak and espeak is None:
        raise FileNotFoundError(f"{ESPEAK} not found: apt-get install espeak-ng")
    tasks: list[dict[str, Any]] = []
    for index in range(per_kind):
        tasks.append(_ocr_task(directory, index, rng))
        tasks.append(_chart_task(directory, index, rng))
        tasks.append(_detail_task(directory, index, rng))
        tasks.append(_audio_task(directory, index, rng, espeak))
        tasks.append(_text_task(index, rng))
    header: dict[str, Any] = {
        "apiVersion": "tierroute.io/v1alpha1",
        "kind": "BenchmarkSuite",
        "name": "smoke",
        "options": {"simulator": simulator, "tokensPerImage": 500},
        "defaults": {"maxOutputTokens": 64, "temperature": 0},
    }
    if catalog is not None:
        header["catalog"] = str(catalog.resolve())
    suite_path = directory / "suite.yaml"
    document = {**header, "tasks": tasks}
    suite_path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
    return SmokeSuite(suite_path, len(tasks), "espeak-ng" if espeak else "tones")


def _ocr_task(directory: Path, index: int, rng: random.Random) -> dict[str, Any]:
    text = " ".join(rng.sample(_WORDS, 2)) + f" {rng.randint(10, 99)}"
    image = Image.new("RGB", (420, 90), "white")
    draw = ImageDraw.Draw(image)
    draw.text((16, 24), text, fill="black", font=ImageFont.load_default(size=32))
    name = f"images/ocr-{index:03d}.png"
    image.save(directory / name)
    return {
        "id": f"ocr-{index:03d}",
        "modality": "vision",
        "prompt": "Transcribe the text in the image exactly. Reply with the text only.",
        "media": [name],
        "expected": text,
        "scorer": {"kind": "cer", "maxRate": 0.1},
        "tags": ["ocr"],
    }


def _chart_task(directory: Path, index: int, rng: random.Random) -> dict[str, Any]:
    labels = ["A", "B", "C", "D"]
    values = rng.sample(range(10, 95, 5), len(labels))
    image = draw_bar_chart(labels, values)
    name = f"images/chart-{index:03d}.png"
    image.save(directory / name)
    task: dict[str, Any] = {"id": f"chart-{index:03d}", "modality": "vision", "media": [name]}
    if index % 2 == 0:
        tallest = labels[values.index(max(values))]
        task |= {
            "prompt": "Which bar in the chart is tallest? Reply with its letter only.",
            "expected": tallest,
            "scorer": "exact",
        }
    else:
        asked = rng.randrange(len(labels))
        task |= {
            "prompt": f"What value does bar {labels[asked]} show? Reply with a number only.",
            "expected": values[asked],
            "scorer": {"kind": "numeric", "tolerance": 2},
        }
    return task | {"tags": ["chart"]}


def draw_bar_chart(labels: list[str], values: list[int]) -> Image.Image:
    """A bar chart with labelled bars, a value above each, and a 0–100 axis."""
    width, height, left, bottom, top = 360, 260, 40, 220, 20
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=14)
    draw.line([(left, top), (left, bottom), (width - 10, bottom)], fill="black", width=2)
    for tick in range(0, 101, 20):
        y = bottom - (bottom - top) * tick / 100
        draw.text((6, y - 8), str(tick), fill="black", font=font)
    step = (width - left - 20) / len(labels)
    for position, (label, value) in enumerate(zip(labels, values, strict=True)):
        x0 = left + 10 + position * step
        y0 = bottom - (bottom - top) * value / 100
        draw.rectangle([x0, y0, x0 + step * 0.6, bottom], fill=(70, 110, 200))
        draw.text((x0 + 4, y0 - 18), str(value), fill="black", font=font)
        draw.text((x0 + step * 0.2, bottom + 6), label, fill="black", font=font)
    return image


def _detail_task(directory: Path, index: int, rng: random.Random) -> dict[str, Any]:
    image = Image.new("RGB", (256, 256), "white")
    draw = ImageDraw.Draw(image)
    placed = [(rng.choice(_SHAPES), rng.choice(list(_COLOURS))) for _ in range(rng.randint(3, 6))]
    for slot, (shape, colour) in enumerate(placed):
        _draw_shape(draw, shape, _COLOURS[colour], slot)
    name = f"images/detail-{index:03d}.png"
    image.save(directory / name)
    task: dict[str, Any] = {"id": f"detail-{index:03d}", "modality": "vision", "media": [name]}
    shape, colour = placed[0]
    if index % 2 == 0:
        count = sum(1 for item in placed if item == (shape, colour))
        task |= {
            "prompt": f"How many {colour} {shape}s are in the image? Reply with a number only.",
            "expected": count,
            "scorer": "numeric",
        }
    else:
        task |= {
            "prompt": f"What colour is the {shape} in the top-left cell? Reply with one word.",
            "expected": colour,
            "scorer": "normalized",
        }
    return task | {"tags": ["detail"]}


def _draw_shape(
    draw: ImageDraw.ImageDraw, shape: str, colour: tuple[int, int, int], slot: int
) -> None:
    """Shapes sit in a 3×2 grid of 80-pixel cells, read left to right, top to bottom."""
    x, y = 10 + (slot % 3) * 82, 20 + (slot // 3) * 110
    box = [x + 8, y + 8, x + 72, y + 72]
    if shape == "circle":
        draw.ellipse(box, fill=colour)
    elif shape == "square":
        draw.rectangle(box, fill=colour)
    else:
        draw.polygon([(x + 40, y + 8), (x + 72, y + 72), (x + 8, y + 72)], fill=colour)


def _audio_task(
    directory: Path, index: int, rng: random.Random, espeak: str | None
) -> dict[str, Any]:
    name = f"audio/audio-{index:03d}.wav"
    task: dict[str, Any] = {"id": f"audio-{index:03d}", "modality": "audio", "media": [name]}
    if espeak is not None:
        digits = " ".join(str(rng.randint(0, 9)) for _ in range(4))
        subprocess.run(
            [espeak, "-w", str(directory / name), "-s", "140", digits],
            check=True,
            capture_output=True,
            timeout=ESPEAK_TIMEOUT_S,
        )
        return task | {
            "prompt": "Transcribe the digits spoken in the audio, separated by spaces.",
            "expected": digits,
            "scorer": {"kind": "wer", "maxRate": 0.25},
            "tags": ["audio", "digits"],
        }
    beeps = rng.randint(1, 9)
    write_tone_bursts(directory / name, beeps)
    return task | {
        "prompt": "How many beeps do you hear in the audio? Reply with a number only.",
        "expected": beeps,
        "scorer": "numeric",
        "tags": ["audio", "tones"],
    }


def write_tone_bursts(path: Path, count: int, *, tone_s: float = 0.15, gap_s: float = 0.2) -> None:
    """A 16 kHz mono WAV of `count` 880 Hz beeps separated by silence."""
    tone = [
        int(12_000 * math.sin(2 * math.pi * 880 * sample / TONE_RATE_HZ))
        for sample in range(int(tone_s * TONE_RATE_HZ))
    ]
    silence = [0] * int(gap_s * TONE_RATE_HZ)
    samples = silence + (tone + silence) * count
    with wave.open(str(path), "wb") as clip:
        clip.setnchannels(1)
        clip.setsampwidth(2)
        clip.setframerate(TONE_RATE_HZ)
        clip.writeframes(struct.pack(f"<{len(samples)}h", *samples))


def _text_task(index: int, rng: random.Random) -> dict[str, Any]:
    if index % 2 == 0:
        person, age = rng.choice(_PEOPLE), rng.randint(18, 90)
        return {
            "id": f"text-{index:03d}",
            "modality": "text",
            "prompt": f"Extract as JSON with keys name and age: '{person} turned {age} today.'",
            "expected": {"name": person, "age": age},
            "scorer": "json_field",
            "tags": ["extraction"],
        }
    low = rng.randrange(10, 80, 10)
    primes = [n for n in range(low, low + 10) if all(n % d for d in range(2, int(n**0.5) + 1))]
    return {
        "id": f"text-{index:03d}",
        "modality": "text",
        "prompt": f"Name one prime number between {low} and {low + 10}. Reply with the number.",
        "expected": str(primes[0]),
        "scorer": {"kind": "regex", "pattern": rf"\b({'|'.join(map(str, primes))})\b"},
        "tags": ["reasoning"],
    }
