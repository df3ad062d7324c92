// Connect, 1-byte request, 1-byte response, close; one connection at a time for SECONDS
// (TCP_NODELAY). Prints one result line (common.h); ops = completed connections, errors = failed
// ones (it stops at the first failure).
//   crr HOST PORT SECONDS [STACKPIDFILE [PEERPIDFILE [SRCFIRST SRCCOUNT]]]
// The client closes first, so each connection leaves a TIME-WAIT socket on this side. Once a
// source address has used its share of the port range (about 32k connections to one peer:
// connect() takes even ports), Linux's connect() scans for a port for milliseconds, unless
// tcp_tw_reuse applies, which needs timestamps (lwIP has none): the kernel client, not the
// server, would set the rate. So the connections rotate over SRCCOUNT local addresses from
// SRCFIRST up (the caller adds them), bound with IP_BIND_ADDRESS_NO_PORT.
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
    struct in_addr src_first = {0};
    int src_count = 0;
    if (argc > 7) {
        if (inet_pton(AF_INET, argv[6], &src_first) != 1) {
            fprintf(stderr, "bad source address %s\n", argv[6]);
            return 2;
        }
        src_count = atoi(argv[7]);
    }
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
        if (src_count > 0) {
            setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
            struct sockaddr_in src = {.sin_family = AF_INET};
            src.sin_addr.s_addr = htonl(ntohl(src_first.s_addr) + (uint32_t)(ops % src_count));
            if (bind(fd, (struct sockaddr *)&src, sizeof src) != 0) die("bind");
        }
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
