// The only C Switchboard adds to hiredis: accessors Swift cannot read cleanly. Switchboard
// uses hiredis's command formatter and reply reader; the sockets are its own (Redis/Wire).
#ifndef SWITCHBOARD_HIREDIS_SHIM_H
#define SWITCHBOARD_HIREDIS_SHIM_H

#include <hiredis/hiredis.h>

static inline redisReply *sb_reply_element(const redisReply *r, size_t i) { return r->element[i]; }

// `errstr` is a fixed char array, which Swift imports as a 128-element tuple.
static inline const char *sb_reader_errstr(const redisReader *r) { return r->errstr; }

#endif
