// The only C Switchboard adds to hiredis: accessors Swift cannot read cleanly.
#ifndef SWITCHBOARD_HIREDIS_SHIM_H
#define SWITCHBOARD_HIREDIS_SHIM_H

#include <hiredis/hiredis.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

// hiredis opens sockets without close-on-exec: child processes would inherit them.
static inline void sb_set_cloexec(int fd) { if (fd >= 0) fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC); }

// `errstr` is a fixed char array, which Swift imports as a 128-element tuple.
static inline const char *sb_context_errstr(const redisContext *c) { return c->errstr; }

static inline int sb_context_err(const redisContext *c) { return c->err; }

static inline int sb_context_fd(const redisContext *c) { return c->fd; }

static inline redisReply *sb_reply_element(const redisReply *r, size_t i) { return r->element[i]; }

// Bytes still waiting in hiredis's output buffer (a pipeline not yet flushed).
static inline size_t sb_pending_output_bytes(const redisContext *c) {
    return c->obuf == NULL ? 0 : sdslen(c->obuf);
}

// Sets the socket send and receive timeouts; 0 ms means "wait forever".
static inline int sb_set_timeout_ms(redisContext *c, long ms) {
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
    return redisSetTimeout(c, tv);
}

// Waits up to `ms` for the socket to become readable: 1 readable or closed, 0 not, -1 error.
static inline int sb_wait_readable(int fd, int ms) {
    struct pollfd p = { fd, POLLIN, 0 };
    int n;
    do { n = poll(&p, 1, ms); } while (n < 0 && errno == EINTR);
    if (n < 0) return -1;
    return n > 0 ? 1 : 0;
}

#endif
