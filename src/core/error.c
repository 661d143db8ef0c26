/* Thread-local last-error message. */
#include "vsq/error.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_error[512];

const char *vsq_last_error(void) { return last_error; }

vsq_status vsq_error(vsq_status status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return status;
}

const char *vsq_status_name(vsq_status status) {
    switch (status) {
    case VSQ_OK: return "ok";
    case VSQ_EINVAL: return "invalid argument";
    case VSQ_EIO: return "i/o error";
    case VSQ_EFORMAT: return "malformed input";
    case VSQ_ENONFINITE: return "non-finite value";
    case VSQ_ENOMEM: return "out of memory";
    case VSQ_EUNSUPPORTED: return "unsupported";
    }
    return "unknown error";
}
