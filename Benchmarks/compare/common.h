// Shared helpers for the compare-kernel.sh programs: clock, CPU samples from /proc, connect with
// retries, and the one result line every measuring program prints.
#ifndef COMPARE_COMMON_H
#define COMPARE_COMMON_H

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static inline double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void die(const char *what) {
    fprintf(stderr, "%s: %s\n", what, strerror(errno));
    exit(1);
}

// CPU time in clock ticks (USER_HZ). `busy` is the machine's user + nice + system + irq +
// softirq time over all CPUs (/proc/stat); `self_*` this process (all threads); `stack_*` the
// processes listed in the stack pid file (the user-space stack under test: tcpkit, lwIP);
// `peer_*` those in the peer pid file (the other kernel-side tool and the kernel's softirq
// threads). Pid files hold one PID a line and are read at the first sample, since the processes
// they name may start after this one.
struct cpu_sample {
    long long busy, self_user, self_sys, stack_user, stack_sys, peer_user, peer_sys;
};

static inline long long read_busy(void) {
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return 0;
    long long u = 0, n = 0, s = 0, idle, iow, irq = 0, sirq = 0;
    if (fscanf(f, "cpu %lld %lld %lld %lld %lld %lld %lld", &u, &n, &s, &idle, &iow, &irq, &sirq) != 7) u = n = s = irq = sirq = 0;
    fclose(f);
    return u + n + s + irq + sirq;
}

// utime and stime (fields 14 and 15 of /proc/PID/stat; the name in field 2 may hold spaces and
// parentheses, so parsing starts after the last ')').
static inline int read_pid_cpu(const char *pid, long long *utime, long long *stime) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%s/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = 0;
    char *p = strrchr(buf, ')');
    if (!p) return -1;
    // after ')': state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15)
    unsigned long long ut, st;
    if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2) return -1;
    *utime = (long long)ut;
    *stime = (long long)st;
    return 0;
}

struct pid_group {
    const char *file;
    int count, loaded;
    char pids[64][16];
};
static struct pid_group stack_group, peer_group;

static inline void load_group(struct pid_group *g, int patient) {
    if (g->loaded || !g->file) return;
    for (int tries = 0; tries < (patient ? 200 : 1) && g->count == 0; tries++) {
        FILE *f = fopen(g->file, "r");
        if (f) {
            while (g->count < 64 && fscanf(f, "%15s", g->pids[g->count]) == 1) g->count++;
            fclose(f);
        }
        if (g->count == 0) usleep(10000);
    }
    if (g->count == 0) fprintf(stderr, "warning: no PID in %s; not counted\n", g->file);
    g->loaded = 1;
}

static inline void sum_group(struct pid_group *g, long long *user, long long *sys) {
    *user = *sys = 0;
    for (int i = 0; i < g->count; i++) {
        long long u, s;
        if (read_pid_cpu(g->pids[i], &u, &s) == 0) {
            *user += u;
            *sys += s;
        } else {
            fprintf(stderr, "warning: process %s gone before the sample\n", g->pids[i]);
        }
    }
}

// `args` are the optional trailing arguments STACKPIDFILE PEERPIDFILE ("-" for none).
static inline void set_watch(int argc, char **argv, int first) {
    if (argc > first && strcmp(argv[first], "-")) stack_group.file = argv[first];
    if (argc > first + 1 && strcmp(argv[first + 1], "-")) peer_group.file = argv[first + 1];
}

static inline struct cpu_sample cpu_now(void) {
    struct cpu_sample c = {0};
    load_group(&stack_group, 1);
    load_group(&peer_group, 1);
    c.busy = read_busy();
    read_pid_cpu("self", &c.self_user, &c.self_sys);
    sum_group(&stack_group, &c.stack_user, &c.stack_sys);
    sum_group(&peer_group, &c.peer_user, &c.peer_sys);
    return c;
}

static inline void print_result(long long bytes, long long ops, long long errors, double secs,
                                struct cpu_sample a, struct cpu_sample b) {
    printf("bytes=%lld ops=%lld errors=%lld secs=%.6f busy=%lld self_user=%lld self_sys=%lld "
           "stack_user=%lld stack_sys=%lld peer_user=%lld peer_sys=%lld hz=%ld\n",
           bytes, ops, errors, secs, b.busy - a.busy, b.self_user - a.self_user, b.self_sys - a.self_sys,
           b.stack_user - a.stack_user, b.stack_sys - a.stack_sys, b.peer_user - a.peer_user,
           b.peer_sys - a.peer_sys, sysconf(_SC_CLK_TCK));
    fflush(stdout);
}

// Connect to host:port, retrying for up to `patience` seconds while the peer is not there yet
// (refused, unreachable, timed out).
static inline int connect_retry(const char *host, int port, double patience, int nodelay) {
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        fprintf(stderr, "bad IPv4 address %s\n", host);
        exit(2);
    }
    double deadline = now_s() + patience;
    for (;;) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) die("socket");
        if (nodelay) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        }
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) return fd;
        int e = errno;
        close(fd);
        if (now_s() > deadline || !(e == ECONNREFUSED || e == ENETUNREACH || e == EHOSTUNREACH || e == ETIMEDOUT)) {
            errno = e;
            return -1;
        }
        usleep(50000);
    }
}

static inline int listen_on(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) die("bind");
    if (listen(fd, 4096) != 0) die("listen");
    return fd;
}

#endif
