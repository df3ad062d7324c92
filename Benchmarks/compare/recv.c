// Bulk receiver: STREAMS connections to HOST:PORT (a source server), each reading into a 128 KiB
// buffer for SECONDS; then every connection is closed (with data unread: a reset, which ends the
// server's writing). Prints one result line (common.h) covering the reading time: what the
// kernel's sockets delivered to this process, the measure of the server's sending.
//   recv HOST PORT SECONDS STREAMS [STACKPIDFILE [PEERPIDFILE]]
#include "streams.h"

static long long got[MAX_STREAMS], failed[MAX_STREAMS];

static void *stream(void *arg) {
    int i = (int)(intptr_t)arg;
    static __thread char buf[128 * 1024];
    struct timeval tv = {.tv_sec = 5};  // a stalled server ends the stream, counted as an error
    setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    pthread_barrier_wait(&start_barrier);
    long long n = 0;
    int k = 0;
    for (;;) {
        if ((++k & 7) == 0 && now_s() >= deadline) break;
        ssize_t r = read(fds[i], buf, sizeof buf);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            if (r < 0) perror("read");
            else fprintf(stderr, "stream %d: the server closed early\n", i);
            failed[i] = 1;
            break;
        }
        n += r;
    }
    got[i] = n;
    return NULL;
}

int main(int argc, char **argv) {
    pthread_t t[MAX_STREAMS];
    double seconds;
    int streams = start_streams_from(argc, argv, stream, t, &seconds);
    struct cpu_sample a;
    double t0 = release_streams(seconds, &a);
    long long total = 0, errors = 0;
    for (int i = 0; i < streams; i++) {
        pthread_join(t[i], NULL);
        total += got[i];
        errors += failed[i];
    }
    double t1 = now_s();
    struct cpu_sample b = cpu_now();
    for (int i = 0; i < streams; i++) close(fds[i]);
    print_shares(got, streams);
    print_result(total, streams, errors, t1 - t0, a, b);
    return 0;
}
