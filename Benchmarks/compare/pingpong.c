// 1-byte ping-pong over one connection with TCP_NODELAY: write one byte, read it back, for
// SECONDS. Prints one result line (common.h); ops = round trips.
//   pingpong HOST PORT SECONDS [STACKPIDFILE [PEERPIDFILE]]
#include "common.h"

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: pingpong HOST PORT SECONDS [STACKPIDFILE [PEERPIDFILE]]\n");
        return 2;
    }
    double seconds = atof(argv[3]);
    set_watch(argc, argv, 4);
    int fd = connect_retry(argv[1], atoi(argv[2]), 10, 1);
    if (fd < 0) die("connect");
    char b = 'x';
    // one round trip first, so that the connection is past its handshake and slow start
    if (write(fd, &b, 1) != 1 || read(fd, &b, 1) != 1) die("first round trip");
    struct cpu_sample a = cpu_now();
    double t0 = now_s(), deadline = t0 + seconds;
    long long ops = 0, errors = 0;
    for (;;) {
        if ((ops & 63) == 0 && now_s() >= deadline) break;
        if (write(fd, &b, 1) != 1) { errors++; break; }
        ssize_t r;
        do r = read(fd, &b, 1); while (r < 0 && errno == EINTR);
        if (r != 1) { errors++; break; }
        ops++;
    }
    double t1 = now_s();
    print_result(ops * 2, ops, errors, t1 - t0, a, cpu_now());
    close(fd);
    return errors ? 1 : 0;
}
