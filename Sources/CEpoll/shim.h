// Linux's epoll and eventfd for the EventLoop module: Swift's Glibc module leaves these
// headers out, so they come in through this system library target (no library to link).
#ifndef SWITCHBOARD_EPOLL_SHIM_H
#define SWITCHBOARD_EPOLL_SHIM_H

#include <sys/epoll.h>
#include <sys/eventfd.h>

#endif
