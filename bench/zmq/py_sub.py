"""Messages per second delivered to the pure-Python hqt.subscriber.Subscriber
(receive + decode + stats, as an application would iterate it).

    python py_sub.py ENDPOINT [IDLE_SECONDS]
Prints: received=<n> seconds=<s> msgs_per_s=<r>  (first to last message)
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "python"))
from hqt.subscriber import Subscriber  # noqa: E402

endpoint = sys.argv[1]
idle = float(sys.argv[2]) if len(sys.argv) > 2 else 0.5
with Subscriber(endpoint, timeout=10.0) as sub:
    first = sub.recv()
    t0 = last = time.perf_counter()
    n = 1 if first is not None else 0
    sub.timeout = idle
    for _ in sub:
        n += 1
        last = time.perf_counter()
secs = last - t0
print(
    f"received={n} seconds={secs:.4f} msgs_per_s={(n - 1) / secs if n > 1 and secs > 0 else 0:.0f}"
)
