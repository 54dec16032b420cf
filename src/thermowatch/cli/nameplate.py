"""A transformer's nameplate kept next to its data: ``DATA.spec.toml``.

``thermowatch sample`` writes one beside the export; ``thermal`` and ``train`` read it when no
``--spec`` / ``--rated-current`` is given, so the bundled sample works as is, and an engineer
can keep the rating of each transformer next to its measurements::

    [nameplate]                 # for the report: who this is
    name = "TR-01"
    rated_power_mva = 36.0
    rated_voltage_kv = 20.0

    [transformer]               # the thermal spec (thermowatch.thermal.TransformerSpec)
    preset = "ONAF"
    rated_current_a = 1039.2
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

SUFFIX = ".spec.toml"


def nameplate_path(data: Path) -> Path:
    """``DATASET.xlsx`` -> ``DATASET.spec.toml`` (same folder)."""
    return data.with_name(data.stem + SUFFIX)


def find_nameplate(data: Path | None) -> Path | None:
    """The nameplate file next to ``data``, when there is one."""
    if data is None:
        return None
    path = nameplate_path(data)
    return path if path.is_file() else None


def read_nameplate(path: Path) -> dict[str, Any]:
    """The ``[nameplate]`` table (name, rated_power_mva, rated_voltage_kv), may be empty."""
    from thermowatch.config import read_toml

    return dict(read_toml(path, "nameplate file").get("nameplate", {}))


def _toml_value(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(float(value)) if isinstance(value, float) else str(value)


def write_nameplate(
    data: Path, spec: Any, *, name: str, rated_power_mva: float, rated_voltage_kv: float
) -> Path:
    """Write ``DATA.spec.toml`` holding the nameplate and every parameter of ``spec``."""
    lines = ["# thermowatch nameplate: read by `thermowatch thermal` and `thermowatch train`", ""]
    lines += ["[nameplate]", f"name = {_toml_value(name)}"]
    lines += [f"rated_power_mva = {rated_power_mva:g}", f"rated_voltage_kv = {rated_voltage_kv:g}"]
    lines += ["", "[transformer]"]
    lines += [
        f"{key} = {_toml_value(value)}"
        for key, value in spec.to_dict().items()
        if value is not None
    ]
    path = nameplate_path(data)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
