// Bulk sink: accepts CONNS connections on PORT, reads each to its end and closes it. Prints one
// result line (common.h) covering the first accept to the last end of stream.
//   sink PORT CONNS [STACKPIDFILE [PEERPIDFILE]]
#include "common.h"
#include <pthread.h>

static long long got[64];
static int fds[64];

static void *drain(void *arg) {
    int i = (int)(intptr_t)arg;
    static __thread char buf[256 * 1024];
    long long n = 0;
    for (;;) {
        ssize_t r = read(fds[i], buf, sizeof buf);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        n += r;
    }
    got[i] = n;
    close(fds[i]);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: sink PORT CONNS [STACKPIDFILE [PEERPIDFILE]]\n");
        return 2;
    }
    int port = atoi(argv[1]), conns = atoi(argv[2]);
    if (conns < 1 || conns > 64) conns = 1;
    set_watch(argc, argv, 3);
    int lfd = listen_on(port);
    pthread_t t[64];
    struct cpu_sample a = {0};
    double t0 = 0;
    for (int i = 0; i < conns; i++) {
        fds[i] = accept(lfd, NULL, NULL);
        if (fds[i] < 0) die("accept");
        if (i == 0) {
            a = cpu_now();
            t0 = now_s();
        }
        pthread_create(&t[i], NULL, drain, (void *)(intptr_t)i);
    }
    long long total = 0;
    for (int i = 0; i < conns; i++) {
        pthread_join(t[i], NULL);
        total += got[i];
    }
    double t1 = now_s();
    print_result(total, conns, 0, t1 - t0, a, cpu_now());
    return 0;
}
