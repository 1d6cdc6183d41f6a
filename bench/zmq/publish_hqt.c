/* publish_hqt: ns per hqt_broadcaster_publish_tick through libhqt.so.
 *
 *   publish_hqt compare N ROUNDS
 *       No subscriber. In one process, alternating rounds of N calls each:
 *       raw zmq_send on a PUB, raw zmq_send on an XPUB+NODROP (HQT's socket
 *       setup), and hqt_broadcaster_publish_tick. Prints the median ns per
 *       call of each and the ratios to the raw PUB send.
 *   publish_hqt compare-sub N ROUNDS
 *       Same with one C SUB per publisher (a thread with its own context,
 *       over tcp loopback), so that every publish really writes to a queue
 *       or finds it full. Per publisher (medians over rounds): ns per call,
 *       frames the subscriber received per round, ns per delivered frame
 *       (round time / frames received) and the subscriber's intake rate
 *       (first to last message of a round). Checks that the hqt subscriber
 *       received exactly what hqt counted as sent.
 *       A flooded queue is mostly full, so ns per call mixes cheap EAGAINs
 *       with real writes; publishers that re-open the queue sooner deliver
 *       more and pay more per call. ns per delivered frame compares them.
 *   publish_hqt serve ENDPOINT N [SUBSCRIBERS] [yield]
 *       Binds a broadcaster that waits for SUBSCRIBERS before its first frame
 *       (wait_subscribers), publishes N ticks (with "yield": sched_yield()
 *       after each dropped frame, as bench_send_loop) and prints
 *       ns_per_publish=<x> sent=<n> dropped=<n>.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_common.h"
#include "hqt.h"

static hqt_broadcaster *make(const char *endpoint, int wait_subscribers) {
    hqt_broadcast_options o;
    hqt_broadcast_options_init(&o);
    o.endpoint = endpoint;
    o.wait_subscribers = wait_subscribers;
    o.wait_timeout_ms = 10000;
    hqt_broadcaster *b = NULL;
    if (hqt_broadcaster_create(&o, &b) != HQT_OK) {
        fprintf(stderr, "hqt_broadcaster_create(%s): %s\n", endpoint, hqt_last_error());
        exit(1);
    }
    return b;
}

static double hqt_loop(hqt_broadcaster *b, long n) {
    double t0 = bench_now();
    for (long i = 0; i < n; i++)
        hqt_broadcaster_publish_tick(b, 1, (uint64_t)i, 1084550 + (i & 63), 1084570 + (i & 63));
    return (bench_now() - t0) * 1e9 / (double)n;
}

static void *raw_socket(void *ctx, int type) {
    void *s = zmq_socket(ctx, type);
    int hwm = 10000, linger = 0, one = 1;
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    if (type == ZMQ_XPUB) zmq_setsockopt(s, ZMQ_XPUB_NODROP, &one, sizeof one);
    if (zmq_bind(s, "tcp://127.0.0.1:*") != 0) {
        fprintf(stderr, "bind: %s\n", zmq_strerror(zmq_errno()));
        exit(1);
    }
    return s;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int compare(long n, int rounds) {
    void *ctx = zmq_ctx_new();
    void *pub = raw_socket(ctx, ZMQ_PUB);
    void *xpub = raw_socket(ctx, ZMQ_XPUB);
    hqt_broadcaster *b = make("tcp://127.0.0.1:*", 0);
    double raw[64], rawx[64], hq[64];
    long failed;
    if (rounds > 64) rounds = 64;
    /* Warm-up: page in code and buffers. */
    bench_raw_send_loop(pub, n / 10, &failed);
    bench_raw_send_loop(xpub, n / 10, &failed);
    hqt_loop(b, n / 10);
    for (int r = 0; r < rounds; r++) {
        raw[r] = bench_raw_send_loop(pub, n, &failed);
        rawx[r] = bench_raw_send_loop(xpub, n, &failed);
        hq[r] = hqt_loop(b, n);
    }
    double m_raw = median(raw, rounds), m_rawx = median(rawx, rounds), m_hqt = median(hq, rounds);
    hqt_broadcast_stats st;
    hqt_broadcaster_stats(b, &st);
    printf("raw_pub_ns=%.2f raw_xpub_nodrop_ns=%.2f hqt_publish_ns=%.2f ratio_vs_pub=%.3f ratio_vs_xpub=%.3f "
           "hqt_sent=%llu hqt_dropped=%llu\n",
           m_raw, m_rawx, m_hqt, m_hqt / m_raw, m_hqt / m_rawx,
           (unsigned long long)st.total_sent, (unsigned long long)st.total_dropped);
    hqt_broadcaster_destroy(b);
    zmq_close(pub);
    zmq_close(xpub);
    zmq_ctx_term(ctx);
    return 0;
}

/* ---- one in-process subscriber per publisher ---- */

typedef struct {
    char endpoint[512];
    atomic_long count;
    atomic_llong first_ns, last_ns;
    atomic_int stop;
    pthread_t thread;
} sub_t;

static long long now_ns(void) { return (long long)(bench_now() * 1e9); }

static void *sub_main(void *arg) {
    sub_t *sub = arg;
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_SUB);
    int hwm = 10000, timeout = 20, linger = 0;
    zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0);
    zmq_connect(s, sub->endpoint);
    unsigned char buf[64];
    while (!atomic_load(&sub->stop)) {
        if (zmq_recv(s, buf, sizeof buf, 0) < 0) continue;
        long long t = now_ns();
        if (atomic_fetch_add(&sub->count, 1) == 0) atomic_store(&sub->first_ns, t);
        atomic_store(&sub->last_ns, t);
    }
    zmq_close(s);
    zmq_ctx_term(ctx);
    return NULL;
}

static void sub_start(sub_t *sub, const char *endpoint) {
    memset(sub, 0, sizeof *sub);
    snprintf(sub->endpoint, sizeof sub->endpoint, "%.500s", endpoint);
    pthread_create(&sub->thread, NULL, sub_main, sub);
}

/* Waits until the subscriber has been quiet for 100 ms, then returns what it
   received since the last call and its rate (first to last message). */
static long sub_round(sub_t *sub, double *rate) {
    long before;
    do {
        before = atomic_load(&sub->count);
        usleep(100 * 1000);
    } while (atomic_load(&sub->count) != before);
    long n = atomic_exchange(&sub->count, 0);
    long long span = atomic_load(&sub->last_ns) - atomic_load(&sub->first_ns);
    *rate = n > 1 && span > 0 ? (double)(n - 1) * 1e9 / (double)span : 0;
    return n;
}

static void sub_stop(sub_t *sub) {
    atomic_store(&sub->stop, 1);
    pthread_join(sub->thread, NULL);
}

static void endpoint_of(void *s, char *out, size_t cap) {
    zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, out, &cap);
}

static int compare_sub(long n, int rounds) {
    void *ctx = zmq_ctx_new();
    void *pub = raw_socket(ctx, ZMQ_PUB);
    void *xpub = raw_socket(ctx, ZMQ_XPUB);
    hqt_broadcaster *b = make("tcp://127.0.0.1:*", 0);
    char ep[3][512];
    endpoint_of(pub, ep[0], sizeof ep[0]);
    endpoint_of(xpub, ep[1], sizeof ep[1]);
    hqt_broadcaster_endpoint(b, ep[2], sizeof ep[2]);
    static sub_t subs[3];
    for (int i = 0; i < 3; i++) sub_start(&subs[i], ep[i]);
    if (hqt_broadcaster_wait_for_subscribers(b, 1, 5000) != HQT_OK) {
        fprintf(stderr, "no subscriber: %s\n", hqt_last_error());
        return 1;
    }
    usleep(300 * 1000); /* the raw sockets cannot tell; give their SUBs the same time */
    if (rounds > 64) rounds = 64;
    /* Per publisher and round: ns per call, frames the subscriber received,
       ns per delivered frame, and the subscriber's intake rate. */
    double ns[3][64], delivered[3][64], per_frame[3][64], rate[3][64];
    long failed, mismatches = 0;
    for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < 3; k++) {
            int i = (r + k) % 3; /* rotate the order so no publisher always goes first */
            hqt_broadcast_stats before, after;
            hqt_broadcaster_stats(b, &before);
            ns[i][r] = i < 2 ? bench_raw_send_loop(i == 0 ? pub : xpub, n, &failed) : hqt_loop(b, n);
            long got = sub_round(&subs[i], &rate[i][r]);
            hqt_broadcaster_stats(b, &after);
            if (i == 2 && (unsigned long long)got != after.total_sent - before.total_sent) mismatches++;
            delivered[i][r] = (double)got;
            per_frame[i][r] = got > 0 ? ns[i][r] * (double)n / (double)got : 0;
        }
    }
    if (getenv("BENCH_VERBOSE"))
        for (int r = 0; r < rounds; r++)
            fprintf(stderr, "round %d: ns/call %.1f %.1f %.1f  delivered %.0f %.0f %.0f  sub rate %.0f %.0f %.0f\n", r,
                    ns[0][r], ns[1][r], ns[2][r], delivered[0][r], delivered[1][r], delivered[2][r],
                    rate[0][r], rate[1][r], rate[2][r]);
    hqt_broadcast_stats st;
    hqt_broadcaster_stats(b, &st);
    const char *name[3] = {"raw_pub", "raw_xpub", "hqt"};
    for (int i = 0; i < 3; i++)
        printf("%s_ns=%.2f %s_delivered=%.0f %s_ns_per_delivered=%.2f %s_sub_rate=%.0f ", name[i],
               median(ns[i], rounds), name[i], median(delivered[i], rounds), name[i],
               median(per_frame[i], rounds), name[i], median(rate[i], rounds));
    printf("hqt_sent=%llu hqt_dropped=%llu hqt_received_mismatches=%ld\n", (unsigned long long)st.total_sent,
           (unsigned long long)st.total_dropped, mismatches);
    for (int i = 0; i < 3; i++) sub_stop(&subs[i]);
    hqt_broadcaster_destroy(b);
    zmq_close(pub);
    zmq_close(xpub);
    zmq_ctx_term(ctx);
    return 0;
}

static int serve(const char *endpoint, long n, int subscribers, int yield) {
    hqt_broadcaster *b = make(endpoint, subscribers);
    /* The first call waits for the subscribers; keep it out of the timing. */
    hqt_broadcaster_publish_tick(b, 1, 0, 1, 2);
    double ns;
    if (yield) {
        double t0 = bench_now();
        for (long i = 0; i < n; i++)
            if (hqt_broadcaster_publish_tick(b, 1, (uint64_t)i, 1084550 + (i & 63), 1084570 + (i & 63)) != HQT_OK)
                sched_yield();
        ns = (bench_now() - t0) * 1e9 / (double)n;
    } else {
        ns = hqt_loop(b, n);
    }
    hqt_broadcast_stats st;
    hqt_broadcaster_stats(b, &st);
    printf("ns_per_publish=%.2f sent=%llu dropped=%llu subscribers=%lld\n", ns,
           (unsigned long long)st.sent[HQT_TOPIC_TICK], (unsigned long long)st.dropped[HQT_TOPIC_TICK],
           (long long)st.subscribers);
    fflush(stdout);
    usleep(500 * 1000); /* let the subscriber take what is queued */
    hqt_broadcaster_destroy(b);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 4 && strcmp(argv[1], "compare") == 0) return compare(atol(argv[2]), atoi(argv[3]));
    if (argc >= 4 && strcmp(argv[1], "compare-sub") == 0) return compare_sub(atol(argv[2]), atoi(argv[3]));
    if (argc >= 4 && strcmp(argv[1], "serve") == 0)
        return serve(argv[2], atol(argv[3]), argc > 4 ? atoi(argv[4]) : 0, argc > 5 && strcmp(argv[5], "yield") == 0);
    fprintf(stderr, "usage: %s compare N ROUNDS | compare-sub N ROUNDS | serve ENDPOINT N [SUBSCRIBERS] [yield]\n", argv[0]);
    return 2;
}
