"""A Mirror in a process of its own, for test_zmq_recovery's SIGKILL test.

    python mirror_child.py ENDPOINT REPLAY_ENDPOINT

Prints ``ready`` once connected, then, when the run has ended, what it
mirrored as one JSON line: deals, open positions, pending orders, balance.
"""

from __future__ import annotations

import json
import sys

from hqt.mirror import Mirror


def main() -> None:
    endpoint, replay = sys.argv[1:3]
    m = Mirror(endpoint, replay, timeout=30.0)
    print("ready", flush=True)
    m.run()
    out = {
        "ended": m.end is not None,
        "deals": [[d.ticket, d.price, d.volume, d.profit] for d in m.deals],
        "positions": {str(t): p.volume for t, p in m.positions.items()},
        "orders": sorted(m.orders),
        "balance": None if m.account is None else m.account.balance,
        "repaired_trades": m.repaired[2],
    }
    print(json.dumps(out), flush=True)
    m.close()


if __name__ == "__main__":
    main()
