// Bulk sender: STREAMS connections to HOST:PORT, each writing 128 KiB chunks for SECONDS, then a
// half-close (FIN) and a wait for the peer's own close, so that the figure counts only what the
// receiver has read. Prints one result line (common.h) covering connect-done to last close.
//   send HOST PORT SECONDS STREAMS [STACKPIDFILE [PEERPIDFILE]]
#include "streams.h"

static long long sent[MAX_STREAMS];

static void *stream(void *arg) {
    int i = (int)(intptr_t)arg;
    static char chunk[128 * 1024];  // zeros; read-only for every thread
    pthread_barrier_wait(&start_barrier);
    long long n = 0;
    int k = 0;
    for (;;) {
        if ((++k & 7) == 0 && now_s() >= deadline) break;
        ssize_t w = write(fds[i], chunk, sizeof chunk);
        if (w < 0) {
            if (errno == EINTR) continue;
            perror("write");
            break;
        }
        n += w;
    }
    sent[i] = n;
    shutdown(fds[i], SHUT_WR);
    struct timeval tv = {.tv_sec = 20};
    setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[4096];
    while (read(fds[i], buf, sizeof buf) > 0) {}
    close(fds[i]);
    return NULL;
}

int main(int argc, char **argv) {
    pthread_t t[MAX_STREAMS];
    double seconds;
    int streams = start_streams_from(argc, argv, stream, t, &seconds);
    struct cpu_sample a;
    double t0 = release_streams(seconds, &a);
    long long total = 0;
    for (int i = 0; i < streams; i++) {
        pthread_join(t[i], NULL);
        total += sent[i];
    }
    double t1 = now_s();
    print_shares(sent, streams);
    print_result(total, streams, 0, t1 - t0, a, cpu_now());
    return 0;
}
