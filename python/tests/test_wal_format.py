"""Format tests of hqt.wal (the pure-Python reader), and cross-checks
against the Swift implementation through libhqt.so's hqt_wal_* C ABI.

The cross-checks need the library: `swift build --scratch-path .build`
(or set HQT_LIBHQT to a libhqt.so). Without it they are skipped, loudly.
"""

import json
import os
import random
import struct
import subprocess
import sys
import textwrap
import time
import zlib

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PYTHON_DIR = os.path.join(ROOT, "python")
if PYTHON_DIR not in sys.path:
    sys.path.insert(0, PYTHON_DIR)

from hqt import wal  # noqa: E402

HEADER_FRAME = wal.HEADER_SIZE + wal.SEQUENCE_SIZE + 16


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def contents(records):
    return [(r.type, r.sequence, r.data) for r in records]


def sample_log(path):
    """HEADER + 3 records + CHECKPOINT + 1 record; returns what was written."""
    expected = []
    with wal.WALWriter(path) as w:
        for t, payload in [(1, b"\x01\x02\x03"), (4, b""), (6, bytes(range(40)))]:
            expected.append((t, w.append(t, payload), payload))
        expected.append((wal.CHECKPOINT, w.checkpoint(b"snap"), b"snap"))
        expected.append((2, w.append(2, b"\x09\x0a"), b"\x09\x0a"))
    return expected


# ---------------------------------------------------------------------------
# The Python reader on its own
# ---------------------------------------------------------------------------


def test_round_trip(tmp_path):
    path = str(tmp_path / "a.wal")
    expected = sample_log(path)
    log = wal.read_log(path)
    assert contents(log.records) == expected
    assert [r.sequence for r in log.records] == [1, 2, 3, 4, 5]
    assert log.header == wal.Header(1, None, 0)
    assert log.valid_bytes == log.file_size and log.torn_bytes == 0
    assert log.records[0].offset == HEADER_FRAME
    assert log.last_checkpoint_offset == log.records[3].offset
    assert contents(wal.records_after_last_checkpoint(log.records)) == expected[4:]


def test_frame_bytes_follow_the_spec():
    f = wal.frame(4, 1, b"\xaa\xbb")
    assert f[:4] == b"WTQH" and f[:4] == struct.pack("<I", 0x48515457)
    assert f[4] == 4 and struct.unpack_from("<I", f, 5)[0] == 10
    assert struct.unpack_from("<I", f, 9)[0] == zlib.crc32(f[4:9] + f[13:])
    assert f[13:21] == struct.pack("<Q", 1) and f[21:] == b"\xaa\xbb"


def test_empty_zero_length_and_large_records(tmp_path):
    path = str(tmp_path / "a.wal")
    with wal.WALWriter(path, fingerprint=0xABC):
        pass
    log = wal.read_log(path)
    assert log.records == [] and log.header.fingerprint == 0xABC and log.last_sequence == 0
    big = random.Random(1).randbytes(10 << 20)
    with wal.WALWriter(path) as w:
        w.append(1, b"")
        w.append(2, big)
        w.append(3, b"x")
    assert contents(wal.read_records(path)) == [(1, 1, b""), (2, 2, big), (3, 3, b"x")]
    empty = str(tmp_path / "empty.wal")
    write(empty, b"")
    assert wal.read_log(empty).records == []


def test_compacted_log_starts_at_the_checkpoint(tmp_path):
    path = str(tmp_path / "a.wal")
    with wal.WALWriter(path, base_sequence=41) as w:
        w.checkpoint(b"state")
        w.append(1, b"a")
    log = wal.read_log(path)
    assert log.header.base_sequence == 41
    assert [(r.type, r.sequence) for r in log.records] == [(7, 42), (1, 43)]


def test_every_single_bit_flip_is_detected_or_cut(tmp_path):
    path = str(tmp_path / "a.wal")
    expected = sample_log(path)
    original = read(path)
    last_frame = wal.HEADER_SIZE + wal.SEQUENCE_SIZE + 2
    refused = cut = 0
    for bit in range(len(original) * 8):
        damaged = bytearray(original)
        damaged[bit // 8] ^= 1 << (bit % 8)
        try:
            log = wal.scan(bytes(damaged))
        except wal.WALError:
            refused += 1
            continue
        cut += 1
        assert contents(log.records) == expected[: len(log.records)], bit
        assert bit // 8 >= log.valid_bytes, bit
        assert log.torn_bytes == len(original) - log.valid_bytes
    assert cut == last_frame * 8
    assert refused == (len(original) - last_frame) * 8


def test_truncation_at_every_offset_yields_the_valid_prefix(tmp_path):
    path = str(tmp_path / "a.wal")
    expected = sample_log(path)
    original = read(path)
    ends = [r.end for r in wal.read_records(path)]
    for n in range(len(original) + 1):
        log = wal.scan(original[:n])
        kept = [e for e in ends if e <= n]
        assert contents(log.records) == expected[: len(kept)], n
        valid = 0 if n < HEADER_FRAME else (kept[-1] if kept else HEADER_FRAME)
        assert log.valid_bytes == valid and log.torn_bytes == n - valid, n
        assert log.torn_records == (0 if n == valid else 1), n


def test_tails_that_are_cut(tmp_path):
    path = str(tmp_path / "a.wal")
    expected = sample_log(path)
    good = read(path)
    log = wal.scan(good + bytes(4096))
    assert contents(log.records) == expected and log.torn_bytes == 4096 and log.torn_records == 0
    stale = good[HEADER_FRAME : wal.read_records(path)[1].offset]  # record 1 again
    log = wal.scan(good + stale)
    assert (
        contents(log.records) == expected and log.torn_records == 1 and "stale" in log.torn_reason
    )


def test_damage_before_the_last_record_is_corruption(tmp_path):
    path = str(tmp_path / "a.wal")
    sample_log(path)
    good = read(path)
    offs = [r.offset for r in wal.read_records(path)]
    cases = {
        "checksum mismatch": (offs[1] + 9, b"\xff"),
        "bad magic": (offs[2], b"\x00"),
        "impossible record length": (offs[1] + 5, b"\xff\xff\xff\xff"),
        "runs past the end": (offs[1] + 5, b"\x00\x10\x00\x00"),
    }
    for reason, (at, patch) in cases.items():
        damaged = good[:at] + patch + good[at + len(patch) :]
        with pytest.raises(wal.WALCorruptError) as e:
            wal.scan(damaged)
        assert reason in str(e.value) and e.value.offset == (
            offs[2] if reason == "bad magic" else offs[1]
        )
    # A record cut out of the middle: the next ones are intact but their sequence numbers jump.
    with pytest.raises(wal.WALCorruptError, match="expected sequence 3"):
        wal.scan(good[: offs[2]] + good[offs[3] :])


def test_files_that_are_not_logs(tmp_path):
    for data in [b"date,bid,ask\n", random.Random(2).randbytes(4096), bytes(512), b"A"]:
        with pytest.raises(wal.NotAWALError, match="not an HQT write-ahead log"):
            wal.scan(data)
    predecessor = wal.frame(1, 0x0102, b"\x01\x02\x03\x04") * 2
    with pytest.raises(wal.NotAWALError, match="POSITION_OPEN.*HEADER"):
        wal.scan(predecessor)
    newer = wal.frame(wal.HEADER, 0, wal.header_payload(format_version=2))
    with pytest.raises(wal.NotAWALError, match="version 2"):
        wal.scan(newer)


def test_random_garbage_never_crashes():
    rng = random.Random(3)
    good = wal.frame(wal.HEADER, 0, wal.header_payload()) + wal.frame(1, 1, b"abc")
    for i in range(300):
        tail = bytearray(rng.getrandbits(8) for _ in range(rng.randrange(300)))
        if i % 3 == 0 and len(tail) >= 13:
            tail[0:4] = b"WTQH"
        try:
            log = wal.scan(good + bytes(tail))
        except wal.WALError:
            continue
        assert contents(log.records) == [(1, 1, b"abc")]


def test_decoder_registry():
    assert wal.decode_payload(wal.HEADER, wal.header_payload(0x1F)) == {
        "format_version": 1,
        "fingerprint": "0x000000000000001f",
    }
    assert wal.decode_payload(200, b"xyz") == {"bytes": 3}
    wal.register_decoder(200, "TEST_PAIR", lambda b: struct.unpack("<HB", b))
    try:
        assert wal.type_name(200) == "TEST_PAIR"
        assert wal.decode_payload(200, b"\x01\x00\x02") == (1, 2)
        with pytest.raises(ValueError, match="already registered"):
            wal.register_decoder(200, "OTHER", bytes)
        wal.register_decoder(200, "OTHER", len, replace=True)
        assert wal.decode_payload(200, b"ab") == 2
    finally:
        del wal._DECODERS[200]
    with pytest.raises(ValueError):
        wal.register_decoder(0, "ZERO", bytes)


def run_cli(*args):
    env = dict(os.environ, PYTHONPATH=PYTHON_DIR)
    p = subprocess.run(
        [sys.executable, "-m", "hqt.wal", *args], capture_output=True, text=True, env=env
    )
    return p.returncode, p.stdout


def test_cli(tmp_path):
    path = str(tmp_path / "a.wal")
    sample_log(path)
    code, out = run_cli(path)
    assert code == 0 and "records         5 (sequence 1..5)" in out and "CHECKPOINT" in out
    code, out = run_cli(path, "list")
    assert code == 0 and len([l for l in out.splitlines() if "POSITION_OPEN" in l]) == 1
    assert run_cli(path, "verify") == (0, "OK: 5 records, %d bytes\n" % len(read(path)))
    write(path, read(path)[:-3])
    code, out = run_cli(path, "verify")
    assert code == 1 and out.startswith("TORN TAIL: 4 records valid")
    data = bytearray(read(path))
    data[HEADER_FRAME + 9] ^= 1
    write(path, bytes(data))
    code, out = run_cli(path, "verify")
    assert code == 2 and "CORRUPT" in out and "offset %d" % HEADER_FRAME in out
    write(path, b"hello")
    assert run_cli(path, "summary")[0] == 3
    assert run_cli(str(tmp_path / "missing.wal"))[0] == 3


# ---------------------------------------------------------------------------
# Cross-checks with the Swift implementation (libhqt.so through the C ABI)
# ---------------------------------------------------------------------------


def preprocessed_header():
    return subprocess.run(
        ["gcc", "-E", "-P", "-D__attribute__(x)=", os.path.join(ROOT, "include", "hqt.h")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def test_header_parses_with_cffi():
    cffi = pytest.importorskip("cffi")
    ffi = cffi.FFI()
    ffi.cdef(preprocessed_header())
    assert ffi.sizeof("hqt_wal_open_report") == 64
    assert ffi.typeof("hqt_wal_record_fn").kind == "function"  # cffi's kind for function pointers
    for name in [
        "hqt_wal_open",
        "hqt_wal_open_ex",
        "hqt_wal_append",
        "hqt_wal_mark_checkpoint",
        "hqt_wal_read_all",
        "hqt_wal_read_uncommitted",
        "hqt_wal_last_checkpoint",
        "hqt_wal_truncate_to_checkpoint",
        "hqt_wal_clear",
        "hqt_wal_close",
        "hqt_wal_sync",
        "hqt_wal_salvage",
        "hqt_wal_verify",
        "hqt_last_error",
        "hqt_wal_options_init",
    ]:
        assert "function " + name in ffi._parser._declarations, name


# The library scripts/build.sh installs next to the package, else a debug build.
LIB_PATH = os.environ.get("HQT_LIBHQT") or next(
    (
        p
        for p in (
            os.path.join(ROOT, "python", "hqt", "libhqt.so"),
            os.path.join(ROOT, ".build", "debug", "libhqt.so"),
        )
        if os.path.exists(p)
    ),
    os.path.join(ROOT, "python", "hqt", "libhqt.so"),
)

# Loads libhqt.so through cffi; used in this process and in child processes.
LOADER = textwrap.dedent("""
    import cffi, subprocess
    ffi = cffi.FFI()
    ffi.cdef(subprocess.run(["gcc", "-E", "-P", "-D__attribute__(x)=", %(header)r],
                            check=True, capture_output=True, text=True).stdout)
    lib = ffi.dlopen(%(lib)r)
""") % {"header": os.path.join(ROOT, "include", "hqt.h"), "lib": LIB_PATH}


@pytest.fixture(scope="module")
def c():
    pytest.importorskip("cffi")
    if not os.path.exists(LIB_PATH):
        pytest.skip(
            "libhqt.so not built: run `swift build --scratch-path .build` (or set HQT_LIBHQT)"
        )
    ns = {}
    exec(LOADER, ns)
    return ns["ffi"], ns["lib"]


def c_error(c):
    ffi, lib = c
    return ffi.string(lib.hqt_last_error()).decode()


def c_read(c, path, uncommitted=False):
    """Records of a log as the Swift code reads them (it takes the lock)."""
    ffi, lib = c
    out = ffi.new("hqt_wal **")
    assert lib.hqt_wal_open(path.encode(), lib.HQT_WAL_SYNC_NONE, 0, out, ffi.NULL) == 0, c_error(c)
    records = []

    @ffi.callback("int(const hqt_wal_record *, void *)")
    def collect(rec, _):
        records.append(
            (rec.type, rec.sequence, bytes(ffi.buffer(rec.data, rec.length)) if rec.length else b"")
        )
        return 0

    reader = lib.hqt_wal_read_uncommitted if uncommitted else lib.hqt_wal_read_all
    rc = reader(out[0], collect, ffi.NULL)
    assert lib.hqt_wal_close(out[0]) == 0
    assert rc == 0, c_error(c)
    return records


def c_verdict(c, path):
    """("ok", valid_bytes, torn_records, records) or ("corrupt"|"not a log", ...)."""
    ffi, lib = c
    report = ffi.new("hqt_wal_open_report *")
    rc = lib.hqt_wal_verify(path.encode(), report)
    if rc == lib.HQT_E_WAL_CORRUPT:
        return ("refused",)
    if rc == lib.HQT_E_WAL:
        return ("refused",)
    assert rc == 0, c_error(c)
    return ("ok", report.valid_bytes, report.torn_records_dropped, report.records)


def py_verdict(path):
    try:
        log = wal.read_log(path)
    except wal.WALError:
        return ("refused",)
    return ("ok", log.valid_bytes, log.torn_records, len(log.records))


SWIFT_WRITER = LOADER + textwrap.dedent("""
    import sys, json
    path = sys.argv[1]
    opts = ffi.new("hqt_wal_options *")
    lib.hqt_wal_options_init(opts)
    opts.sync_policy = lib.HQT_WAL_SYNC_BATCH
    opts.truncate = 1
    opts.check_fingerprint = 1
    opts.fingerprint = 0x5EED
    w = ffi.new("hqt_wal **")
    assert lib.hqt_wal_open_ex(path.encode(), opts, w, ffi.NULL) == 0
    seq = ffi.new("uint64_t *")
    written = []
    for i in range(300):
        payload = bytes((i * 7 + k) % 256 for k in range(i % 50))
        t = 1 + i % 6
        assert lib.hqt_wal_append(w[0], t, payload, len(payload), seq) == 0
        written.append([t, seq[0], payload.hex()])
        if i % 100 == 99:
            snapshot = b"cp%d" % i
            assert lib.hqt_wal_mark_checkpoint(w[0], snapshot, len(snapshot)) == 0
            written.append([7, written[-1][1] + 1, snapshot.hex()])
    assert lib.hqt_wal_truncate_to_checkpoint(w[0]) == 0
    assert lib.hqt_wal_close(w[0]) == 0
    print(json.dumps(written))
""")


def test_log_written_by_swift_in_another_process_reads_the_same_in_python(c, tmp_path):
    path = str(tmp_path / "swift.wal")
    out = subprocess.run(
        [sys.executable, "-c", SWIFT_WRITER, path], check=True, capture_output=True, text=True
    )
    written = [(t, s, bytes.fromhex(h)) for t, s, h in json.loads(out.stdout)]
    log = wal.read_log(path)
    # Compacted to the last checkpoint (sequence 303: 300 records + 3 checkpoints).
    last_cp = max(i for i, w in enumerate(written) if w[0] == wal.CHECKPOINT)
    assert contents(log.records) == written[last_cp:]
    assert log.header == wal.Header(1, 0x5EED, written[last_cp][1] - 1)
    assert log.torn_bytes == 0
    assert c_read(c, path) == written[last_cp:]
    assert (
        c_read(c, path, uncommitted=True)
        == written[last_cp + 1 :]
        == contents(wal.records_after_last_checkpoint(log.records))
    )


def test_log_written_by_python_reads_the_same_in_swift(c, tmp_path):
    path = str(tmp_path / "py.wal")
    expected = sample_log(path)
    assert c_read(c, path) == expected
    assert c_read(c, path, uncommitted=True) == expected[4:]
    ffi, lib = c
    report = ffi.new("hqt_wal_open_report *")
    assert lib.hqt_wal_verify(path.encode(), report) == 0
    assert (report.records, report.last_sequence, report.format_version) == (5, 5, 1)
    assert report.last_checkpoint_offset == wal.read_log(path).last_checkpoint_offset


def test_both_readers_agree_on_every_damage(c, tmp_path):
    path = str(tmp_path / "a.wal")
    sample_log(path)
    original = read(path)
    variants = []
    for bit in range(len(original) * 8):
        damaged = bytearray(original)
        damaged[bit // 8] ^= 1 << (bit % 8)
        variants.append(("bit %d" % bit, bytes(damaged)))
    for n in range(len(original)):
        variants.append(("cut %d" % n, original[:n]))
    rng = random.Random(5)
    for i in range(100):
        variants.append(
            (
                "garbage %d" % i,
                original + bytes(rng.getrandbits(8) for _ in range(rng.randrange(64))),
            )
        )
    agreed = {"refused": 0, "ok": 0}
    for name, data in variants:
        write(path, data)
        py, sw = py_verdict(path), c_verdict(c, path)
        assert py == sw, name
        agreed[py[0]] += 1
    assert agreed["refused"] > 0 and agreed["ok"] > 0


def test_salvage_through_the_c_abi(c, tmp_path):
    ffi, lib = c
    path = str(tmp_path / "a.wal")
    expected = sample_log(path)
    data = bytearray(read(path))
    offs = [r.offset for r in wal.read_records(path)]
    data[offs[2] + 9] ^= 0x40
    write(path, bytes(data))
    out = ffi.new("hqt_wal **")
    assert lib.hqt_wal_open(path.encode(), 0, 0, out, ffi.NULL) == lib.HQT_E_WAL_CORRUPT
    assert "offset %d" % offs[2] in c_error(c)
    assert read(path) == bytes(data)
    report = ffi.new("hqt_wal_open_report *")
    assert lib.hqt_wal_salvage(path.encode(), report) == 0
    assert (report.records, report.valid_bytes, report.torn_records_dropped) == (2, offs[2], 3)
    assert contents(wal.read_records(path)) == expected[:2]


LOCK_HOLDER = LOADER + textwrap.dedent("""
    import sys
    w = ffi.new("hqt_wal **")
    assert lib.hqt_wal_open(sys.argv[1].encode(), 0, 1, w, ffi.NULL) == 0
    print("locked", flush=True)
    sys.stdin.readline()
""")


def test_second_writer_in_another_process_gets_a_clear_error(c, tmp_path):
    ffi, lib = c
    path = str(tmp_path / "a.wal")
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, path],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        out = ffi.new("hqt_wal **")
        assert lib.hqt_wal_open(path.encode(), 0, 0, out, ffi.NULL) == lib.HQT_E_WAL
        assert "is locked by another engine (pid %d)" % holder.pid in c_error(c)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    # The lock died with its holder (no close was called).
    assert lib.hqt_wal_open(path.encode(), 0, 0, out, ffi.NULL) == 0, c_error(c)
    assert lib.hqt_wal_close(out[0]) == 0


def test_c_abi_rejects_bad_arguments_without_crashing(c, tmp_path):
    ffi, lib = c
    path = str(tmp_path / "a.wal").encode()
    out = ffi.new("hqt_wal **")
    assert lib.hqt_wal_open(ffi.NULL, 0, 0, out, ffi.NULL) == lib.HQT_E_INVALID_ARGUMENT
    assert lib.hqt_wal_open(path, 7, 0, out, ffi.NULL) == lib.HQT_E_INVALID_ARGUMENT
    assert "sync_policy 7" in c_error(c)
    assert lib.hqt_wal_open(path, 0, 0, ffi.NULL, ffi.NULL) == lib.HQT_E_INVALID_ARGUMENT
    assert lib.hqt_wal_open(b"", 0, 0, out, ffi.NULL) == lib.HQT_E_INVALID_ARGUMENT
    opts = ffi.new("hqt_wal_options *")
    lib.hqt_wal_options_init(opts)
    opts.sync_policy = lib.HQT_WAL_SYNC_BATCH
    opts.batch_max_records = 0
    assert lib.hqt_wal_open_ex(path, opts, out, ffi.NULL) == lib.HQT_E_INVALID_ARGUMENT
    assert lib.hqt_wal_open(path, lib.HQT_WAL_SYNC_ALWAYS, 1, out, ffi.NULL) == 0
    w = out[0]
    assert lib.hqt_wal_append(ffi.NULL, 1, b"x", 1, ffi.NULL) == lib.HQT_E_INVALID_ARGUMENT
    assert lib.hqt_wal_append(w, 1, ffi.NULL, 5, ffi.NULL) == lib.HQT_E_INVALID_ARGUMENT
    assert (
        lib.hqt_wal_append(w, 1, b"x", lib.HQT_WAL_MAX_PAYLOAD + 1, ffi.NULL)
        == lib.HQT_E_INVALID_ARGUMENT
    )
    assert lib.hqt_wal_append(w, wal.CHECKPOINT, b"x", 1, ffi.NULL) == lib.HQT_E_INVALID_ARGUMENT
    assert lib.hqt_wal_append(w, 1, ffi.NULL, 0, ffi.NULL) == 0
    assert lib.hqt_wal_read_all(w, ffi.NULL, ffi.NULL) == lib.HQT_E_INVALID_ARGUMENT

    @ffi.callback("int(const hqt_wal_record *, void *)")
    def reenter(rec, _):
        assert lib.hqt_wal_append(w, 1, b"y", 1, ffi.NULL) == lib.HQT_E_BUSY
        assert lib.hqt_wal_close(w) == lib.HQT_E_BUSY
        return 3

    assert lib.hqt_wal_read_all(w, reenter, ffi.NULL) == lib.HQT_E_CALLBACK
    assert "returned 3" in c_error(c)
    found = ffi.new("int *")
    assert lib.hqt_wal_last_checkpoint(w, reenter, ffi.NULL, found) == 0 and found[0] == 0
    assert lib.hqt_wal_close(w) == 0
    assert lib.hqt_wal_close(w) == lib.HQT_E_INVALID_ARGUMENT  # already freed: detected, no crash
    assert lib.hqt_wal_close(ffi.NULL) == 0
    assert lib.hqt_wal_verify(path, ffi.NULL) == 0
    assert lib.hqt_wal_salvage(ffi.NULL, ffi.NULL) == lib.HQT_E_INVALID_ARGUMENT


MALLOC_COUNTER = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
static long count;
static void *(*real_malloc)(size_t);
void *malloc(size_t n) {
    if (!real_malloc) real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
    count++;
    return real_malloc(n);
}
long malloc_count(void) { return count; }
"""

APPEND_LOOP = r"""
#include <stdio.h>
#include "hqt.h"
long malloc_count(void);
int main(int argc, char **argv) {
    int policies[3] = {HQT_WAL_SYNC_NONE, HQT_WAL_SYNC_BATCH, HQT_WAL_SYNC_ALWAYS};
    char buf[64] = {0};
    uint64_t seq;
    for (int k = 0; k < 3; k++) {
        hqt_wal *w;
        long at_open = malloc_count();
        if (hqt_wal_open(argv[1], policies[k], 1, &w, NULL) != HQT_OK) return 2;
        printf("%ld ", malloc_count() - at_open);
        for (int i = 0; i < 100; i++) hqt_wal_append(w, 1, buf, sizeof buf, &seq);
        long before = malloc_count();
        int n = k == 2 ? 50 : 20000, failed = 0;
        for (int i = 0; i < n; i++) failed |= hqt_wal_append(w, 1, buf, sizeof buf, &seq);
        printf("%ld\n", malloc_count() - before);
        if (failed || hqt_wal_close(w) != HQT_OK) return 3;
    }
    return 0;
}
"""


def test_append_does_not_allocate(c, tmp_path):
    """Counts malloc calls (an interposed malloc) across appends through the C ABI."""
    (tmp_path / "mc.c").write_text(MALLOC_COUNTER)
    (tmp_path / "loop.c").write_text(APPEND_LOOP)
    lib_dir = os.path.dirname(LIB_PATH)
    subprocess.run(
        [
            "gcc",
            "-shared",
            "-fPIC",
            "-o",
            str(tmp_path / "libmc.so"),
            str(tmp_path / "mc.c"),
            "-ldl",
        ],
        check=True,
    )
    subprocess.run(
        [
            "gcc",
            "-I",
            os.path.join(ROOT, "include"),
            str(tmp_path / "loop.c"),
            "-o",
            str(tmp_path / "loop"),
            "-L",
            str(tmp_path),
            "-lmc",
            "-L",
            lib_dir,
            "-lhqt",
            "-Wl,-rpath,%s:%s" % (tmp_path, lib_dir),
        ],
        check=True,
    )
    out = subprocess.run(
        [str(tmp_path / "loop"), str(tmp_path / "a.wal")],
        check=True,
        capture_output=True,
        text=True,
    )
    counts = [line.split() for line in out.stdout.splitlines()]
    assert all(int(at_open) > 0 for at_open, _ in counts), (
        "the counter counts nothing: " + out.stdout
    )
    assert [appends for _, appends in counts] == ["0", "0", "0"], (
        "mallocs during appends (none, batch, always): " + out.stdout
    )


APPENDER = LOADER + textwrap.dedent("""
    import sys, os
    path, policy = sys.argv[1], int(sys.argv[2])
    w = ffi.new("hqt_wal **")
    report = ffi.new("hqt_wal_open_report *")
    assert lib.hqt_wal_open(path.encode(), policy, 0, w, report) == 0, ffi.string(lib.hqt_last_error())
    seq = ffi.new("uint64_t *")
    seq[0] = report.last_sequence
    out = os.fdopen(1, "w", buffering=1)
    out.write("ready\\n")
    while True:
        n = seq[0] + 1
        # Every 7th record is 100 kB: written as two pwrites, so a kill can tear it.
        payload = (b"%08d" % n) * (12500 if n % 7 == 0 else 2)
        if n % 50 == 0:
            assert lib.hqt_wal_mark_checkpoint(w[0], payload, len(payload)) == 0
            seq[0] = n
        else:
            assert lib.hqt_wal_append(w[0], 1 + n % 6, payload, len(payload), seq) == 0
        out.write("%d\\n" % seq[0])
""")


def expected_payload(n):
    return (b"%08d" % n) * (12500 if n % 7 == 0 else 2)


def test_appender_killed_at_random_moments_loses_nothing_acknowledged(c, tmp_path):
    """SIGKILL a process appending through the C ABI; every record whose
    append returned is there, intact and in sequence, and the log reopens."""
    path = str(tmp_path / "kill.wal")
    rng = random.Random(11)
    last_seen = 0
    for round_ in range(8):
        policy = [0, 1, 2][round_ % 3]  # always, batch, none: a killed process loses nothing in any
        child = subprocess.Popen(
            [sys.executable, "-c", APPENDER, path, str(policy)], stdout=subprocess.PIPE
        )
        assert child.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.02, 0.15))
        child.kill()  # SIGKILL
        acknowledged = [int(l) for l in child.stdout.read().split() if l.isdigit()]
        child.wait()
        log = wal.read_log(path)  # a torn tail is allowed, damage is not
        seqs = [r.sequence for r in log.records]
        assert seqs == list(range(1, len(seqs) + 1))
        assert all(r.data == expected_payload(r.sequence) for r in log.records)
        if acknowledged:
            assert seqs[-1] >= acknowledged[-1], "an acknowledged record was lost"
        assert seqs[-1] >= last_seen
        last_seen = seqs[-1]
        assert log.torn_records <= 1
    assert last_seen > 100, "the appender hardly ran"
