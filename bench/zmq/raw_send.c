/* raw_send: the baseline. A raw libzmq publisher sending n 29-byte TICK
 * frames with zmq_send(ZMQ_DONTWAIT), no HQT code involved.
 *
 *   raw_send ENDPOINT N [pub|xpub-nodrop] [SETTLE_MS] [yield]
 *
 * pub:          a plain PUB socket (drops silently at SNDHWM)
 * xpub-nodrop:  XPUB + ZMQ_XPUB_NODROP, the socket HQT's broadcaster uses
 * SETTLE_MS:    wait this long after bind so subscribers can connect (0 = no
 *               subscriber expected)
 * yield:        sched_yield() after each EAGAIN (see bench_send_loop)
 * Prints: ns_per_send=<x> sent=<n> eagain=<n>
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_common.h"

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s ENDPOINT N [pub|xpub-nodrop] [SETTLE_MS] [yield]\n", argv[0]);
        return 2;
    }
    const char *endpoint = argv[1];
    long n = atol(argv[2]);
    int xpub = argc > 3 && strcmp(argv[3], "xpub-nodrop") == 0;
    int settle_ms = argc > 4 ? atoi(argv[4]) : 0;
    int yield = argc > 5 && strcmp(argv[5], "yield") == 0;

    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, xpub ? ZMQ_XPUB : ZMQ_PUB);
    int hwm = 10000, linger = 0, one = 1;
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    if (xpub) zmq_setsockopt(s, ZMQ_XPUB_NODROP, &one, sizeof one);
    if (zmq_bind(s, endpoint) != 0) {
        fprintf(stderr, "bind %s: %s\n", endpoint, zmq_strerror(zmq_errno()));
        return 1;
    }
    if (settle_ms > 0) usleep((useconds_t)settle_ms * 1000);

    long failed = 0;
    double ns = bench_send_loop(s, n, &failed, yield);
    printf("ns_per_send=%.2f sent=%ld eagain=%ld\n", ns, n - failed, failed);
    /* Give the subscriber a moment to take what is queued before closing. */
    if (settle_ms > 0) usleep(300 * 1000);
    zmq_close(s);
    zmq_ctx_term(ctx);
    return 0;
}
