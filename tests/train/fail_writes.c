/* fail_writes.c - an LD_PRELOAD library that makes one folder behave as a full disk or a read-only
 * file system, for the tests of what `hrm train` does then (issue #24). Nobody needs root or a
 * mount: the process's own calls fail as the kernel would fail them.
 *
 *   HRM_FAIL_UNDER=/abs/prefix   every path that starts with it fails: a folder ("/x/run") or the
 *                                start of names in one ("/x/run/.step_" = the temporary step folders)
 *   HRM_FAIL_AS=ENOSPC           write()/writev()/pwrite() of files there fail with ENOSPC
 *   HRM_FAIL_AS=EROFS            opening a file there for writing, creating, renaming or removing
 *                                an entry there fails with EROFS; reading works
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static int mode_is(const char *name) {
    const char *as = getenv("HRM_FAIL_AS");
    return as && strcmp(as, name) == 0;
}

/* Whether the absolute form of path starts with HRM_FAIL_UNDER. Relative paths are taken from the
 * current folder; ".." is not resolved (the runner does not write through it). */
static int under(const char *path) {
    const char *root = getenv("HRM_FAIL_UNDER");
    if (!root || !*root || !path) return 0;
    char abs[PATH_MAX * 2];
    if (path[0] == '/') {
        snprintf(abs, sizeof abs, "%s", path);
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd)) return 0;
        snprintf(abs, sizeof abs, "%s/%s", cwd, path);
    }
    return strncmp(abs, root, strlen(root)) == 0;
}

static int fd_under(int fd) {
    char link[64], path[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    const ssize_t n = readlink(link, path, sizeof path - 1);
    if (n <= 0) return 0;
    path[n] = '\0';
    return under(path);
}

#define NEXT(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

ssize_t write(int fd, const void *buf, size_t count) {
    if (mode_is("ENOSPC") && count > 0 && fd_under(fd)) return errno = ENOSPC, -1;
    return NEXT(write)(fd, buf, count);
}

ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset) {
    if (mode_is("ENOSPC") && count > 0 && fd_under(fd)) return errno = ENOSPC, -1;
    return NEXT(pwrite)(fd, buf, count, offset);
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt) {
    if (mode_is("ENOSPC") && iovcnt > 0 && fd_under(fd)) return errno = ENOSPC, -1;
    return NEXT(writev)(fd, iov, iovcnt);
}

static int writes(int flags) { return (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) != 0; }

/* The mode argument that open() and its kin read only with O_CREAT or O_TMPFILE. */
#define MODE_OF(flags, mode)                                                   \
    do {                                                                       \
        va_list ap;                                                            \
        va_start(ap, flags);                                                   \
        mode = (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;  \
        va_end(ap);                                                            \
    } while (0)

static int refused(const char *path, int flags) { return mode_is("EROFS") && writes(flags) && under(path); }

int open(const char *path, int flags, ...) {
    mode_t mode;
    MODE_OF(flags, mode);
    if (refused(path, flags)) return errno = EROFS, -1;
    return NEXT(open)(path, flags, mode);
}

int open64(const char *path, int flags, ...) {
    mode_t mode;
    MODE_OF(flags, mode);
    if (refused(path, flags)) return errno = EROFS, -1;
    return NEXT(open64)(path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...) {
    mode_t mode;
    MODE_OF(flags, mode);
    /* Only AT_FDCWD or absolute paths are checked: enough for the runner. */
    if ((dirfd == AT_FDCWD || path[0] == '/') && refused(path, flags)) return errno = EROFS, -1;
    return NEXT(openat)(dirfd, path, flags, mode);
}

int mkdir(const char *path, mode_t mode) {
    if (mode_is("EROFS") && under(path)) {
        struct stat st;
        /* An existing folder gives EEXIST first, as the kernel does. */
        return errno = stat(path, &st) == 0 ? EEXIST : EROFS, -1;
    }
    return NEXT(mkdir)(path, mode);
}

int rename(const char *from, const char *to) {
    if (mode_is("EROFS") && (under(from) || under(to))) return errno = EROFS, -1;
    return NEXT(rename)(from, to);
}

int unlink(const char *path) {
    if (mode_is("EROFS") && under(path)) return errno = EROFS, -1;
    return NEXT(unlink)(path);
}

int rmdir(const char *path) {
    if (mode_is("EROFS") && under(path)) return errno = EROFS, -1;
    return NEXT(rmdir)(path);
}
