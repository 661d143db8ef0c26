/* Whole-file reads and atomic writes (temp file in the same folder, fsync,
 * rename), so a crash or full disk never leaves a half-written output. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io.h"
#include "vsq/tensor.h"

vsq_status vsq_read_file(const char *path, uint8_t **buf, size_t *len) {
    *buf = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return vsq_error(VSQ_EIO, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return vsq_error(VSQ_EIO, "'%s' is not a regular file", path);
    }
    size_t n = (size_t)st.st_size;
    uint8_t *b = malloc(n ? n : 1);
    if (!b) {
        fclose(f);
        return vsq_error(VSQ_ENOMEM, "out of memory reading '%s' (%zu bytes)", path, n);
    }
    size_t got = fread(b, 1, n, f);
    int err = ferror(f);
    fclose(f);
    if (err || got != n) {
        free(b);
        return vsq_error(VSQ_EIO, "cannot read '%s': short read (%zu of %zu bytes)", path, got, n);
    }
    *buf = b;
    *len = n;
    return VSQ_OK;
}

/* Temp name "<path>.tmpXXXXXX": same folder, so rename() is atomic. */
static char *temp_name(const char *path) {
    size_t n = strlen(path);
    char *t = malloc(n + 8);
    if (t) {
        memcpy(t, path, n);
        memcpy(t + n, ".XXXXXX", 8);
    }
    return t;
}

static int write_all(int fd, const uint8_t *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n > (1u << 30) ? (1u << 30) : n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

vsq_status vsq_write_atomic_parts(const char *path, const void *const *parts,
                                  const size_t *lens, int n) {
    if (!path || !*path) return vsq_error(VSQ_EINVAL, "write: empty output path");
    char *tmp = temp_name(path);
    if (!tmp) return vsq_error(VSQ_ENOMEM, "out of memory writing '%s'", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        vsq_status st = vsq_error(VSQ_EIO, "cannot create temporary file for '%s': %s", path,
                                  strerror(errno));
        free(tmp);
        return st;
    }
    int failed = 0;
    for (int i = 0; i < n && !failed; i++)
        if (lens[i] && write_all(fd, parts[i], lens[i]) != 0) failed = 1;
    if (!failed && fsync(fd) != 0) failed = 1;
    int saved = errno;
    /* mkstemp creates 0600; give the output the usual rw-r--r-- (reading
     * the umask would need umask(), which is not thread-safe). */
    if (!failed) fchmod(fd, 0644);
    if (close(fd) != 0 && !failed) {
        failed = 1;
        saved = errno;
    }
    if (!failed && rename(tmp, path) != 0) {
        failed = 1;
        saved = errno;
    }
    if (failed) {
        unlink(tmp);
        free(tmp);
        return vsq_error(VSQ_EIO, "cannot write '%s': %s", path, strerror(saved));
    }
    free(tmp);
    return VSQ_OK;
}

vsq_status vsq_write_atomic(const char *path, const void *data, size_t len) {
    const void *parts[1] = {data};
    size_t lens[1] = {len};
    return vsq_write_atomic_parts(path, parts, lens, 1);
}

vsq_status vsq_map_file(const char *path, void **map, size_t *len) {
    *map = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0) return vsq_error(VSQ_EIO, "%s: cannot open", path);
    struct stat sb;
    if (fstat(fd, &sb) != 0 || sb.st_size <= 0) {
        close(fd);
        return vsq_error(VSQ_EFORMAT, "%s: empty or unreadable file", path);
    }
    void *m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED) return vsq_error(VSQ_EIO, "%s: mmap failed", path);
    *map = m;
    *len = (size_t)sb.st_size;
    return VSQ_OK;
}
