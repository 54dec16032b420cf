"""read_readings: the raw path of the store keeps what was measured."""

import numpy as np

from thermowatch.data import read_readings


def test_raw_readings_keep_gaps_and_order_is_fixed(tmp_path):
    path = tmp_path / "raw.csv"
    path.write_text(
        "horodatage;courant (A);température huile (°C)\n"
        "01/03/2026 00:10;101,5;40,1\n"
        "01/03/2026 00:00;100,0;\n"
        "01/03/2026 00:00;100,0;39,0\n"
        "01/03/2026 00:20;;40,4\n",
        encoding="utf-8",
    )
    readings = read_readings(path)
    frame = readings.frame
    assert list(frame.index.strftime("%H:%M")) == ["00:00", "00:10", "00:20"]
    assert np.isnan(
        frame.loc[frame.index[0], "température huile (°C)"]
    )  # first duplicate kept, gap kept
    assert np.isnan(frame.iloc[2]["courant (A)"])  # not interpolated
    assert readings.report.count("duplicate_timestamp") == 1
    assert readings.columns["courant (A)"].quantity == "current"
