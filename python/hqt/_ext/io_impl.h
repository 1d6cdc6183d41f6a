/*
 * io_impl.h -- declarations shared by the write-ahead log and broadcaster
 * files of the extension (engine_io.c, io_common.c, wal_type.c,
 * broadcaster.c); not used elsewhere.
 */
#ifndef HQT_IO_IMPL_H
#define HQT_IO_IMPL_H

#include "hqt_ext.h"

/* Runs `expr` without the GIL, with `flag` set meanwhile; status in `st`. */
#define NOGIL(flag, st, expr)                \
    do {                                     \
        (flag) = 1;                          \
        Py_BEGIN_ALLOW_THREADS               \
        (st) = (expr);                       \
        Py_END_ALLOW_THREADS                 \
        (flag) = 0;                          \
    } while (0)

/* An optional argument: given and not None. */
#define GIVEN(obj) ((obj) != NULL && (obj) != Py_None)

/* ---- io_common.c ---- */

/* The raw tuple of a WAL open/verify/salvage report. */
PyObject *hqt_io_open_report_tuple(const hqt_wal_open_report *r);
/* (sent[8], bytes[8], dropped[8], total_sent, total_bytes, total_dropped, subscribers) */
PyObject *hqt_io_stats_tuple(const hqt_broadcast_stats *s);
/* obj's truth value into *out; 0, or -1 with an error. */
int hqt_io_as_flag(PyObject *obj, int *out);

/* The allowed client keys of broadcast options, kept alive until released. */
typedef struct {
    const char **keys;
    PyObject *seq;
} hqt_io_keys;

void hqt_io_keys_release(hqt_io_keys *k);
/* Broadcast options from 7 Python values (see io_common.c). */
int hqt_io_broadcast_options(PyObject *const *a, hqt_broadcast_options *o, hqt_io_keys *k);

#endif /* HQT_IO_IMPL_H */
