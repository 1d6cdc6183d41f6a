/* Shared by the ZeroMQ benchmarks: clock and the raw send loop that is the
   baseline for hqt_broadcaster_publish_tick. */
#ifndef HQT_BENCH_COMMON_H
#define HQT_BENCH_COMMON_H

#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

static inline double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A TICK frame as SPEC section 2 lays it out: <BIQqq, 29 bytes. */
static inline void bench_tick_frame(unsigned char f[29], uint32_t symbol, uint64_t t, int64_t bid, int64_t ask) {
    f[0] = 0;
    memcpy(f + 1, &symbol, 4);   /* x86-64 is little-endian, as the wire */
    memcpy(f + 5, &t, 8);
    memcpy(f + 13, &bid, 8);
    memcpy(f + 21, &ask, 8);
}

/* n raw zmq_send calls of a 29-byte frame, non-blocking, building the frame
   each time like a publisher must. Returns ns per call; *failed counts EAGAIN.
   yield_on_drop: sched_yield() after a failed send, so that a publisher
   facing a full queue leaves the CPU to the subscriber (used to measure the
   subscriber's intake on small machines instead of a CPU fight). */
static inline double bench_send_loop(void *sock, long n, long *failed, int yield_on_drop) {
    unsigned char f[29];
    long fails = 0;
    double t0 = bench_now();
    for (long i = 0; i < n; i++) {
        bench_tick_frame(f, 1, (uint64_t)i, 1084550 + (i & 63), 1084570 + (i & 63));
        if (zmq_send(sock, f, 29, ZMQ_DONTWAIT) < 0) {
            fails++;
            if (yield_on_drop) sched_yield();
        }
    }
    double t1 = bench_now();
    *failed = fails;
    return (t1 - t0) * 1e9 / (double)n;
}

static inline double bench_raw_send_loop(void *sock, long n, long *failed) {
    return bench_send_loop(sock, n, failed, 0);
}

#endif
