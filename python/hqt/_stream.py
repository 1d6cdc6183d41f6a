"""What the dashboard and the recorder read from a frame beyond SPEC section 2.

The SPEC frames (topics 0..7) carry no sequence number and no run id. The
broadcaster's protocol extensions (sequenced topic bytes, the SESSION topic;
docs/zmq.md) add them in other topic bytes. This module is the one place
that knows how to split any received frame into ``(topic, run_id, seq,
spec_frame)`` so that the dashboard and recorder work the same against a
broadcaster with or without the extensions: without them, run_id and seq
are None and the frame is the SPEC frame itself.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Split", "split", "SPEC_TOPICS"]

#: Topic bytes fixed by SPEC section 2.
SPEC_TOPICS = range(8)


class Split(NamedTuple):
    """One received frame, taken apart.

    ``topic``: the SPEC topic the frame carries (0..7), or its own first byte
    for anything else. ``run_id``/``seq``: None when the frame carries none.
    ``frame``: the bytes a SPEC decoder (``hqt.subscriber.decode``) reads.
    """

    topic: int
    run_id: int | None
    seq: int | None
    frame: bytes


def split(frame: bytes) -> Split:
    """The topic, run id, sequence and SPEC bytes of one received frame."""
    if not frame:
        return Split(-1, None, None, frame)
    return Split(frame[0], None, None, frame)
