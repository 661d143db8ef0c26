/* vsq/error.h - status codes and the thread-local error message.
 *
 * Every libvsq function that can fail returns a vsq_status. On failure it
 * also records a one-line, human-readable message (naming what and where)
 * that vsq_last_error() returns until the next failure on the same thread.
 */
#ifndef VSQ_ERROR_H
#define VSQ_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    VSQ_OK = 0,
    VSQ_EINVAL = 1,     /* bad argument, spec string, shape or flag     */
    VSQ_EIO = 2,        /* file could not be opened, read or written    */
    VSQ_EFORMAT = 3,    /* file content is malformed, truncated, corrupt */
    VSQ_ENONFINITE = 4, /* a NaN or Inf was found in an input tensor    */
    VSQ_ENOMEM = 5,     /* allocation failed                            */
    VSQ_EUNSUPPORTED = 6 /* valid but not supported (dtype, order, ...) */
} vsq_status;

/* Message of the most recent failure on this thread ("" if none). */
const char *vsq_last_error(void);

/* Record a failure message (printf-style) and return `status`. */
vsq_status vsq_error(vsq_status status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Short name of a status code ("invalid argument", ...). */
const char *vsq_status_name(vsq_status status);

#ifdef __cplusplus
}
#endif
#endif
