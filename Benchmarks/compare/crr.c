// Connect, 1-byte request, 1-byte response, close; one connection at a time for SECONDS
// (TCP_NODELAY). The client closes first, so its side holds TIME-WAIT: run it where
// net.ipv4.tcp_tw_reuse=1 and the local port range is wide. Prints one result line (common.h);
// ops = completed connections, errors = failed ones (it stops at the first failure).
//   crr HOST PORT SECONDS [STACKPIDFILE [PEERPIDFILE]]
#include "common.h"

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: crr HOST PORT SECONDS [STACKPIDFILE [PEERPIDFILE]]\n");
        return 2;
    }
    const char *host = argv[1];
    int port = atoi(argv[2]);
    double seconds = atof(argv[3]);
    set_watch(argc, argv, 4);
    int fd = connect_retry(host, port, 10, 1);  // wait for the server, then measure
    if (fd < 0) die("connect");
    close(fd);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, host, &sa.sin_addr);
    struct cpu_sample a = cpu_now();
    double t0 = now_s(), deadline = t0 + seconds;
    long long ops = 0, errors = 0;
    char b = 'x';
    while (now_s() < deadline) {
        fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) die("socket");
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct timeval tv = {.tv_sec = 5};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
            perror("connect");
            errors++;
            close(fd);
            break;
        }
        ssize_t r = -1;
        if (write(fd, &b, 1) == 1) {
            do r = read(fd, &b, 1); while (r < 0 && errno == EINTR);
        }
        close(fd);
        if (r != 1) {
            fprintf(stderr, "crr: no response on connection %lld\n", ops + 1);
            errors++;
            break;
        }
        ops++;
    }
    double t1 = now_s();
    print_result(ops * 2, ops, errors, t1 - t0, a, cpu_now());
    return errors ? 1 : 0;
}
