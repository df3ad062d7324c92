// lwIP over a TUN device, raw (callback) API: a discard, echo or source server on PORT, for comparing
// TCPKit with another user-space TCP under the same conditions (TUN, no offloads, one process).
// Built against Debian's liblwip-dev (its lwipopts.h: NO_SYS=0 with core locking, 64 KiB window).
//   lwip_server IFNAME ADDRESS PORT discard|echo|source
// source: sends zeros as fast as the peer takes them (refilled from the sent callback) until the
// peer closes; what arrives is dropped.
// It creates the TUN interface IFNAME (IFF_TUN | IFF_NO_PI) and answers as ADDRESS; the caller
// gives the kernel's side of IFNAME an address on the same /24 and brings it up. Runs until killed.
//
// The netif driver: this thread reads one IP packet per read(2) from the TUN descriptor, copies
// it into a pbuf and hands it to ip_input with the core lock held (so TCP input and the
// callbacks run here, without a hop to the tcpip thread); lwIP's output hook writes each packet
// to the descriptor. The tcpip thread that tcpip_init starts runs only lwIP's timers.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "lwip/init.h"
#include "lwip/ip.h"
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/tcpip.h"

static int tun_fd = -1;
static int echo_mode, source_mode;
static const unsigned char zeros[16384];  // the source's data, referenced (not copied) by lwIP

// Queues zeros while the send buffer and segment queue have room, then sends.
static void fill(struct tcp_pcb *pcb) {
    for (;;) {
        u16_t room = tcp_sndbuf(pcb);
        if (room == 0 || tcp_sndqueuelen(pcb) >= TCP_SND_QUEUELEN - 1) break;
        if (room > sizeof zeros) room = sizeof zeros;
        if (tcp_write(pcb, zeros, room, TCP_WRITE_FLAG_MORE) != ERR_OK) break;
    }
    tcp_output(pcb);
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len) {
    (void)arg;
    (void)len;
    fill(pcb);
    return ERR_OK;
}
static struct netif tun_netif;

static err_t tun_output(struct netif *netif, struct pbuf *p, const ip4_addr_t *next_hop) {
    (void)netif;
    (void)next_hop;
    static __thread unsigned char frame[65536];
    u16_t n = pbuf_copy_partial(p, frame, p->tot_len, 0);
    if (write(tun_fd, frame, n) != (ssize_t)n) return ERR_IF;  // a full device queue drops it
    return ERR_OK;
}

static err_t tun_netif_init(struct netif *netif) {
    netif->name[0] = 't';
    netif->name[1] = 'n';
    netif->mtu = 1500;
    netif->output = tun_output;
    netif->flags = 0;  // point to point: no ARP, no broadcast
    return ERR_OK;
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err) {
    (void)arg;
    (void)err;
    if (p == NULL) {  // end of stream: close our side too
        tcp_arg(pcb, NULL);
        tcp_recv(pcb, NULL);
        tcp_sent(pcb, NULL);
        if (tcp_close(pcb) != ERR_OK) tcp_abort(pcb);
        return ERR_OK;
    }
    if (echo_mode) {
        for (struct pbuf *q = p; q != NULL; q = q->next) {
            if (tcp_write(pcb, q->payload, q->len, TCP_WRITE_FLAG_COPY) != ERR_OK) break;  // no room: dropped (echo carries small messages only)
        }
        tcp_output(pcb);
    }
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    return ERR_OK;
}

static void on_error(void *arg, err_t err) {
    (void)arg;
    (void)err;
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err) {
    (void)arg;
    if (err != ERR_OK || pcb == NULL) return ERR_VAL;
    if (echo_mode) tcp_nagle_disable(pcb);
    tcp_recv(pcb, on_recv);
    tcp_err(pcb, on_error);
    if (source_mode) {
        tcp_sent(pcb, on_sent);
        fill(pcb);
    }
    return ERR_OK;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: lwip_server IFNAME ADDRESS PORT discard|echo|source\n");
        return 2;
    }
    echo_mode = strcmp(argv[4], "echo") == 0;
    source_mode = strcmp(argv[4], "source") == 0;
    tun_fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (tun_fd < 0) {
        perror("/dev/net/tun");
        return 2;
    }
    struct ifreq ifr = {0};
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    strncpy(ifr.ifr_name, argv[1], IFNAMSIZ - 1);
    if (ioctl(tun_fd, TUNSETIFF, &ifr) != 0) {
        perror("TUNSETIFF");
        return 2;
    }

    tcpip_init(NULL, NULL);
    ip4_addr_t addr, mask, gw;
    if (!ip4addr_aton(argv[2], &addr)) {
        fprintf(stderr, "bad address %s\n", argv[2]);
        return 2;
    }
    IP4_ADDR(&mask, 255, 255, 255, 0);
    ip4_addr_set_zero(&gw);
    LOCK_TCPIP_CORE();
    netif_add(&tun_netif, &addr, &mask, &gw, NULL, tun_netif_init, ip_input);
    netif_set_default(&tun_netif);
    netif_set_up(&tun_netif);
    netif_set_link_up(&tun_netif);
    struct tcp_pcb *listener = tcp_new_ip_type(IPADDR_TYPE_V4);
    if (listener == NULL || tcp_bind(listener, IP_ADDR_ANY, (u16_t)atoi(argv[3])) != ERR_OK) {
        fprintf(stderr, "cannot listen on port %s\n", argv[3]);
        return 1;
    }
    listener = tcp_listen_with_backlog(listener, 255);
    tcp_accept(listener, on_accept);
    UNLOCK_TCPIP_CORE();
    printf("ready\n");
    fflush(stdout);

    static unsigned char packet[65536];
    for (;;) {
        ssize_t n = read(tun_fd, packet, sizeof packet);
        if (n < 0) {
            if (errno == EINTR) continue;
            perror("read");
            return 1;
        }
        if (n == 0) continue;
        struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)n, PBUF_RAM);  // one block (this build's PBUF_POOL chains overrun their blocks under MEMP_MEM_MALLOC)
        if (p == NULL) continue;  // out of memory: dropped, TCP resends
        pbuf_take(p, packet, (u16_t)n);
        LOCK_TCPIP_CORE();
        if (tun_netif.input(p, &tun_netif) != ERR_OK) pbuf_free(p);
        UNLOCK_TCPIP_CORE();
    }
}
