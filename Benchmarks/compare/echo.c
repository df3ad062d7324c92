// Echo server, one thread, epoll: every accepted connection (TCP_NODELAY) gets back what it
// sends and is closed at its end of stream. Runs until killed.
//   echo PORT
#include "common.h"
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: echo PORT\n");
        return 2;
    }
    int lfd = listen_on(atoi(argv[1]));
    fcntl(lfd, F_SETFL, O_NONBLOCK);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    static char buf[64 * 1024];
    struct epoll_event events[256];
    for (;;) {
        int n = epoll_wait(ep, events, 256, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == lfd) {
                for (;;) {
                    int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
                    if (c < 0) break;
                    int one = 1;
                    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct epoll_event cev = {.events = EPOLLIN, .data.fd = c};
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
                }
                continue;
            }
            ssize_t r = read(fd, buf, sizeof buf);
            if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            if (r <= 0) {
                close(fd);  // also leaves the epoll set
                continue;
            }
            ssize_t off = 0;
            while (off < r) {  // small messages never block; a large one waits for room
                ssize_t w = write(fd, buf + off, (size_t)(r - off));
                if (w > 0) {
                    off += w;
                } else if (w < 0 && errno == EAGAIN) {
                    struct pollfd p = {.fd = fd, .events = POLLOUT};
                    poll(&p, 1, 1000);
                } else if (w < 0 && errno == EINTR) {
                    continue;
                } else {
                    break;
                }
            }
        }
    }
}
