// Parallel streams for the bulk programs (send.c, recv.c): STREAMS connections to HOST:PORT, one
// thread each, all let go at once through a barrier that the main thread passes last, right
// after taking its first CPU sample.
#ifndef COMPARE_STREAMS_H
#define COMPARE_STREAMS_H

#include "common.h"
#include <pthread.h>

#define MAX_STREAMS 64
static int fds[MAX_STREAMS];
static pthread_barrier_t start_barrier;
static double deadline;  // when the streams stop (set by release_streams)

// Connects `streams` sockets (waiting up to 10 s for the server) and starts `stream(i)` on each;
// every thread should call pthread_barrier_wait(&start_barrier) before it begins.
static inline void start_streams(const char *host, int port, int streams, void *(*stream)(void *), pthread_t *threads) {
    for (int i = 0; i < streams; i++) {
        fds[i] = connect_retry(host, port, 10, 0);
        if (fds[i] < 0) die("connect");
    }
    pthread_barrier_init(&start_barrier, NULL, (unsigned)streams + 1);
    for (int i = 0; i < streams; i++) pthread_create(&threads[i], NULL, stream, (void *)(intptr_t)i);
}

// The bulk programs' arguments, HOST PORT SECONDS STREAMS [STACKPIDFILE [PEERPIDFILE]]: checks
// them (usage on standard error and exit 2 otherwise), sets the CPU watch and starts the streams
// (above). Returns how many; *seconds is the measuring time.
static inline int start_streams_from(int argc, char **argv, void *(*stream)(void *), pthread_t *threads, double *seconds) {
    if (argc < 5) {
        fprintf(stderr, "usage: %s HOST PORT SECONDS STREAMS [STACKPIDFILE [PEERPIDFILE]]\n", argv[0]);
        exit(2);
    }
    *seconds = atof(argv[3]);
    int streams = atoi(argv[4]);
    if (streams < 1 || streams > MAX_STREAMS) streams = 1;
    set_watch(argc, argv, 5);
    start_streams(argv[1], atoi(argv[2]), streams, stream, threads);
    return streams;
}

// Lets the streams go for `seconds`: the first CPU sample into *first, then the clock, then the
// barrier. Returns the start time.
static inline double release_streams(double seconds, struct cpu_sample *first) {
    *first = cpu_now();
    double t0 = now_s();
    deadline = t0 + seconds;
    pthread_barrier_wait(&start_barrier);
    return t0;
}

// Fairness among the streams, on standard error: every stream's bytes and Jain's index
// (sum x)^2 / (n * sum x^2): 1 when all are equal, 1/n when one stream has everything.
//   streams=4 bytes=A,B,C,D jain=0.998
static inline void print_shares(const long long *bytes, int streams) {
    double sum = 0, squares = 0;
    fprintf(stderr, "streams=%d bytes=", streams);
    for (int i = 0; i < streams; i++) {
        fprintf(stderr, "%s%lld", i ? "," : "", bytes[i]);
        sum += (double)bytes[i];
        squares += (double)bytes[i] * (double)bytes[i];
    }
    fprintf(stderr, " jain=%.3f\n", squares > 0 ? sum * sum / (streams * squares) : 0.0);
}

#endif
