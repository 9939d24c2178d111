"""The generated smoke suite: loadable, deterministic, and its ground truth is in the media."""

from __future__ import annotations

import shutil
import wave
from pathlib import Path

import pytest
from PIL import Image

from tierroute_bench.smoke_suite import draw_bar_chart, write_smoke_suite, write_tone_bursts
from tierroute_bench.tasks import Modality, iter_tasks, load_suite


def count_bursts(path: Path) -> int:
    """Runs of loud samples separated by silence."""
    with wave.open(str(path)) as clip:
        frames = clip.readframes(clip.getnframes())
    samples = [int.from_bytes(frames[i : i + 2], "little", signed=True)
               for i in range(0, len(frames), 2)]  # fmt: skip
    bursts, quiet_run, in_burst = 0, 0, False
    for sample in samples:
        if abs(sample) > 1000:
            if not in_burst:
                bursts += 1
            in_burst, quiet_run = True, 0
        else:
            quiet_run += 1
            if quiet_run > 400:  # 25 ms of silence ends a burst
                in_burst = False
    return bursts


@pytest.mark.parametrize("count", [1, 4, 9])
def test_tone_bursts_can_be_counted_back(tmp_path: Path, count: int) -> None:
    write_tone_bursts(tmp_path / "t.wav", count)
    assert count_bursts(tmp_path / "t.wav") == count


def test_bar_chart_tallest_bar_is_the_largest_value() -> None:
    values = [30, 85, 10, 55]
    image = draw_bar_chart(["A", "B", "C", "D"], values).convert("RGB")
    heights = [bar_height(image, position) for position in range(4)]
    assert heights.index(max(heights)) == values.index(max(values))
    assert sorted(heights) == [heights[i] for i in sorted(range(4), key=values.__getitem__)]


def bar_height(image: Image.Image, position: int) -> int:
    x = int(40 + 10 + position * (360 - 40 - 20) / 4 + 10)
    return sum(1 for y in range(image.height) if image.getpixel((x, y)) == (70, 110, 200))


def test_suite_has_every_kind_with_ground_truth_and_is_deterministic(tmp_path: Path) -> None:
    first = write_smoke_suite(tmp_path / "one", per_kind=3, seed=11, use_espeak=False)
    second = write_smoke_suite(tmp_path / "two", per_kind=3, seed=11, use_espeak=False)
    assert first.suite_path.read_text() == second.suite_path.read_text()
    tasks = list(iter_tasks(load_suite(first.suite_path)))
    assert len(tasks) == first.tasks == 15
    tags = {tag for task in tasks for tag in task.tags}
    assert {"ocr", "chart", "detail", "audio", "tones"} <= tags
    assert {task.modality for task in tasks} == {Modality.VISION, Modality.AUDIO, Modality.TEXT}
    assert all(task.expected is not None for task in tasks)
    for task in tasks:
        for ref in task.media:
            assert (first.suite_path.parent / ref.source).is_file()
    for task in (t for t in tasks if "tones" in t.tags):
        assert count_bursts(first.suite_path.parent / task.media[0].source) == task.expected


def test_audio_is_speech_when_espeak_ng_is_installed_else_tones(tmp_path: Path) -> None:
    written = write_smoke_suite(tmp_path, per_kind=2, seed=3)
    audio = [t for t in iter_tasks(load_suite(written.suite_path)) if "audio" in t.tags]
    if shutil.which("espeak-ng"):
        assert written.audio_source == "espeak-ng"
        assert all("digits" in t.tags and len(str(t.expected).split()) == 4 for t in audio)
    else:
        assert written.audio_source == "tones"
        assert all("tones" in t.tags for t in audio)
