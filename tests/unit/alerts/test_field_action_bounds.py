"""Field-action bounds are finite and fit the register type when the config is read (issue 22).

Before: ``min = -inf``, ``max = inf`` and a ``value`` of 70000 on a ``uint16`` register (which
would be written wrapped, as 4464) were accepted.
"""

from __future__ import annotations

import pytest

from thermowatch.alerts.config import parse_config
from thermowatch.errors import InputError


def modbus(**over) -> dict:
    action = {"name": "cooling", "hook": "modbus", "transformer": "T1", "level": "ALERTE",
              "host": "127.0.0.1", "address": 10, "type": "uint16", "value": 2.0,
              "min": 0.0, "max": 3.0} | over  # fmt: skip
    return {"alerts": {"actions": [action]}}


def opcua(**over) -> dict:
    action = {"name": "setpoint", "hook": "opcua", "transformer": "T1", "level": "ALERTE",
              "endpoint": "opc.tcp://127.0.0.1:4840", "node": "ns=2;s=T1.setpoint",
              "value": 0.8, "min": 0.5, "max": 1.0} | over  # fmt: skip
    return {"alerts": {"actions": [action]}}


def test_sound_field_actions_are_accepted():
    assert parse_config(modbus()).actions[0].max == 3.0
    assert parse_config(modbus(type="int16", min=-100.0, max=100.0, value=-5.0)).actions
    assert parse_config(modbus(type="float32", value=0.8, min=0.5, max=1.0)).actions
    assert parse_config(modbus(scale=0.1, value=0.8, min=0.0, max=6553.5)).actions
    assert parse_config(opcua()).actions[0].value == 0.8


@pytest.mark.parametrize(
    ("doc", "says"),
    [
        (modbus(min=float("-inf")), "actions[0].min must be a finite number"),
        (modbus(max=float("inf")), "actions[0].max must be a finite number"),
        (opcua(max=float("inf")), "actions[0].max must be a finite number"),
        (opcua(value=float("nan")), "actions[0].value must be a finite number"),
        (modbus(max=70000.0, value=70000.0), "max 70000 does not fit a uint16 register"),
        (modbus(min=-1.0), "min -1 does not fit a uint16 register"),
        (modbus(type="int16", max=40000.0), "max 40000 does not fit a int16 register"),
        (modbus(type="float32", max=1e39, value=1.0), "max 1e+39 does not fit a float32"),
        (modbus(scale=0.001, max=100.0), "max 100 does not fit a uint16 register"),
        (modbus(value=2.5), "value 2.5 is not a whole number of uint16 steps"),
        (modbus(min=3.0, max=0.0), "min 3 is above max 0"),
        (modbus(scale=0.0), "scale must be finite and not 0"),
    ],
)
def test_unsound_bounds_are_refused_when_the_config_is_read(doc, says):
    with pytest.raises(InputError, match="alerts config: ") as err:
        parse_config(doc)
    assert says in str(err.value)
