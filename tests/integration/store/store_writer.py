"""A writer process for the concurrency and crash tests.

usage: python store_writer.py URL MODE FIRST_MINUTE N_MINUTES [START_AT]
MODE "batches": write [first, first+n) in overlapping batches of 600 minutes, after START_AT.
MODE "crash": write it as one batch in chunks; print READY after the first chunk and hang.
MODE "full": write it as one batch.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from store_helpers import minute_frame

from thermowatch.store.engine import make_engine
from thermowatch.store.readings import write_readings


def main() -> None:
    url, mode, first, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    engine = make_engine(url)
    if mode == "batches":
        start_at = float(sys.argv[5])
        frames = [minute_frame(m, min(600, first + n - m)) for m in range(first, first + n, 300)]
        time.sleep(max(0.0, start_at - time.time()))
        for frame in frames:  # batches overlap each other by half and the neighbours' ranges
            write_readings(engine, frame)
    elif mode == "crash":

        def hang(sent: int) -> None:
            print("READY", sent, flush=True)
            time.sleep(120)

        write_readings(engine, minute_frame(first, n), chunk_size=6000, on_progress=hang)
    else:
        print(write_readings(engine, minute_frame(first, n)), flush=True)


if __name__ == "__main__":
    main()
