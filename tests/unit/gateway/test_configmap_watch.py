"""Writing a watched ConfigMap's table to disk the way the kubelet writes a mounted one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tierroute_gateway.configmap_watch import WatchSetupError, configmap_source, write_like_kubelet
from tierroute_gateway.server.reload import TableFile


def test_table_is_written_behind_a_swapped_data_link(tmp_path: Path) -> None:
    target = tmp_path / "table" / "routing.json"
    write_like_kubelet(target, b'{"v": 1}')
    first = os.readlink(target.parent / "..data")
    write_like_kubelet(target, b'{"v": 2}')
    second = os.readlink(target.parent / "..data")
    assert target.read_bytes() == b'{"v": 2}'
    assert os.readlink(target) == "..data/routing.json"
    assert first != second
    assert not (target.parent / first).exists()
    assert sorted(p.name for p in target.parent.iterdir()) == sorted(
        ["..data", "routing.json", second]
    )


def test_the_file_source_sees_each_write_as_a_change(tmp_path: Path) -> None:
    target = tmp_path / "routing.json"
    source = TableFile(target)
    write_like_kubelet(target, b"one")
    assert source.read_if_changed() == b"one"
    assert source.read_if_changed() is None
    write_like_kubelet(target, b"two")
    assert source.read_if_changed() == b"two"


def test_a_plain_file_is_replaced_by_the_link(tmp_path: Path) -> None:
    target = tmp_path / "routing.json"
    target.write_bytes(b"old")
    write_like_kubelet(target, b"new")
    assert target.is_symlink()
    assert target.read_bytes() == b"new"


@pytest.mark.parametrize("reference", ["just-a-name", "/name", "ns/", "a/b/c"])
def test_a_malformed_reference_is_refused(reference: str, tmp_path: Path) -> None:
    with pytest.raises(WatchSetupError, match="NAMESPACE/NAME"):
        configmap_source(reference, tmp_path / "kubeconfig", tmp_path / "routing.json")
