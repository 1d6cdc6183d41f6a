/* sub_recv: a C subscriber measuring delivered messages per second.
 *
 *   sub_recv ENDPOINT [MAX_MESSAGES] [IDLE_MS] [RCVHWM]
 *
 * Subscribes to everything, receives until MAX_MESSAGES or until IDLE_MS
 * pass without a message (after the first), and prints
 *   received=<n> ticks=<n> seconds=<s> msgs_per_s=<r>
 * timed from the first message to the last (ticks: TICK frames, topic 0).
 * RCVHWM defaults to 10000; 0 = unlimited (the fast subscriber of the
 * isolation benchmark: its queue never overflows on its side).
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench_common.h"

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s ENDPOINT [MAX_MESSAGES] [IDLE_MS]\n", argv[0]);
        return 2;
    }
    long max = argc > 2 ? atol(argv[2]) : 100000000L;
    int idle = argc > 3 ? atoi(argv[3]) : 300;
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_SUB);
    int hwm = argc > 4 ? atoi(argv[4]) : 10000, first_wait = 20000, linger = 0;
    zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &first_wait, sizeof first_wait);
    if (zmq_connect(s, argv[1]) != 0) return 1;

    unsigned char buf[256];
    long got = 0, ticks = 0;
    double first = 0, last = 0;
    while (got < max) {
        int r = zmq_recv(s, buf, sizeof buf, 0);
        if (r < 0) break;
        last = bench_now();
        if (r > 0 && buf[0] == 0) ticks++;
        if (got++ == 0) {
            first = last;
            zmq_setsockopt(s, ZMQ_RCVTIMEO, &idle, sizeof idle);
        }
    }
    double secs = last - first;
    printf("received=%ld ticks=%ld seconds=%.4f msgs_per_s=%.0f\n", got, ticks, secs, got > 1 && secs > 0 ? (got - 1) / secs : 0.0);
    zmq_close(s);
    zmq_ctx_term(ctx);
    return 0;
}
