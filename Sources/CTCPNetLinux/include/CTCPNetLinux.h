// What Swift's Glibc module leaves out and TCPNet's event loop needs: epoll(7), eventfd(2),
// timerfd_create(2).
#pragma once
#ifdef __linux__
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#endif
