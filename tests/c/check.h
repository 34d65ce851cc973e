/*
 * A small harness for the C tests of libmntns, in the spirit of the Rust test kit: every
 * case runs in a forked child, which first enters the mode the case asks for:
 *
 *   MODE_PLAIN     no new namespace (pure functions, argument checks, reading /proc)
 *   MODE_ROOT      real root in a new mount namespace whose "/" is rprivate
 *   MODE_ROOTLESS  uid/gid 65534 without capabilities, then a new user namespace (65534
 *                  mapped to 0) and mount namespace with "/" rprivate, like unshare -Urm
 *   MODE_NOBODY    uid/gid 65534, no capabilities, no new namespace
 *
 * The modes are entered with raw system calls, not with libmntns, so the harness does not
 * depend on what it tests. After every case the parent checks that its own mount table is
 * unchanged (no case may touch the host's), that the child exited 0 within its time limit,
 * and removes the case's scratch directory.
 *
 * In a case: CHECK(cond), CHECK_OK(call) (the call returns 0), CHECK_ERR(call, ERRNO, "text")
 * (the call returns -ERRNO and mntns_last_error() contains "text").
 */
#ifndef MNTNS_TEST_CHECK_H
#define MNTNS_TEST_CHECK_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mntns.h>

#define NOBODY 65534

enum mode { MODE_PLAIN = 1, MODE_ROOT = 2, MODE_ROOTLESS = 4, MODE_NOBODY = 8 };
/* Privileged behaviour is tested both ways. */
#define BOTH (MODE_ROOT | MODE_ROOTLESS)

static int failures;
static enum mode current_mode;

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "    %s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                                \
        }                                                                              \
    } while (0)

#define CHECK_OK(call)                                                                 \
    do {                                                                               \
        int rc_ = (call);                                                              \
        if (rc_ != 0) {                                                                \
            fprintf(stderr, "    %s:%d: %s = %d, want 0: %s\n", __FILE__, __LINE__, #call, \
                    rc_, mntns_last_error());                                          \
            failures++;                                                                \
        }                                                                              \
    } while (0)

#define CHECK_ERR(call, err, text)                                                     \
    do {                                                                               \
        int rc_ = (int)(call);                                                         \
        if (rc_ != -(err)) {                                                           \
            fprintf(stderr, "    %s:%d: %s = %d, want -%s (%d); last error: %s\n",       \
                    __FILE__, __LINE__, #call, rc_, #err, -(err), mntns_last_error());  \
            failures++;                                                                \
        } else if (strstr(mntns_last_error(), (text)) == NULL) {                       \
            fprintf(stderr, "    %s:%d: %s: message lacks \"%s\": %s\n", __FILE__,      \
                    __LINE__, #call, (text), mntns_last_error());                      \
            failures++;                                                                \
        }                                                                              \
    } while (0)

/* Exits the test program at once: the harness itself is broken. */
static inline void die(const char *what) {
    fprintf(stderr, "harness: %s: %s\n", what, strerror(errno));
    exit(2);
}

static inline void write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        die(path);
    if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        die(path);
    close(fd);
}

/* Reads a whole (small) file into a malloc'ed, NUL-terminated buffer. */
static inline char *read_file(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (len + 1 >= cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    buf[len] = '\0';
    return buf;
}

static inline void become_nobody(void) {
    if (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
        setresuid(NOBODY, NOBODY, NOBODY) < 0)
        die("drop to nobody");
    /* Keep /proc/self ours so the id maps can be written. */
    if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
        die("PR_SET_DUMPABLE");
}

static inline void enter_mode(enum mode mode) {
    current_mode = mode;
    switch (mode) {
    case MODE_PLAIN:
        return;
    case MODE_NOBODY:
        become_nobody();
        return;
    case MODE_ROOT:
        if (unshare(CLONE_NEWNS) < 0)
            die("unshare(CLONE_NEWNS)");
        break;
    case MODE_ROOTLESS: {
        char map[64];
        become_nobody();
        if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
            die("unshare(CLONE_NEWUSER|CLONE_NEWNS)");
        write_file("/proc/self/setgroups", "deny");
        snprintf(map, sizeof map, "0 %d 1", NOBODY);
        write_file("/proc/self/uid_map", map);
        write_file("/proc/self/gid_map", map);
        break;
    }
    }
    if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
        die("make / rprivate");
}

static inline const char *mode_name(enum mode mode) {
    switch (mode) {
    case MODE_PLAIN:
        return "plain";
    case MODE_ROOT:
        return "root";
    case MODE_ROOTLESS:
        return "rootless";
    case MODE_NOBODY:
        return "nobody";
    }
    return "?";
}

/* A scratch directory for one case: a host directory (not a mount point) the case may
 * write, owned by nobody for the unprivileged modes. */
static inline char *make_scratch(enum mode mode) {
    char *dir = strdup("/tmp/mntns-ctest-XXXXXX");
    if (mkdtemp(dir) == NULL)
        die("mkdtemp");
    if (mode != MODE_ROOT && mode != MODE_PLAIN && chown(dir, NOBODY, NOBODY) < 0)
        die("chown scratch");
    return dir;
}

static inline void remove_scratch(char *dir) {
    char cmd[PATH_MAX + 32];
    snprintf(cmd, sizeof cmd, "chmod -R u+rwX '%s'; rm -rf '%s'", dir, dir);
    if (system(cmd) != 0)
        fprintf(stderr, "harness: could not remove %s\n", dir);
    free(dir);
}

typedef void (*case_fn)(const char *scratch);

static int cases_failed;
/* The mount table before the running case; a global so that processes forked by a case
 * still reach it (no leak reported when they exit). */
static char *table_before;

/* Runs `fn` once per mode in `modes`, each in a forked child. */
static inline void run_case(const char *name, case_fn fn, int modes) {
    for (int m = MODE_PLAIN; m <= MODE_NOBODY; m <<= 1) {
        if (!(modes & m))
            continue;
        if (m != MODE_PLAIN && geteuid() != 0) {
            /* Dropping to nobody and entering real-root mode both need root. The test
             * command runs as root; a skip fails the run, as in the Rust test kit, unless
             * MNTNS_ALLOW_SKIP=1 (for running a test by hand). */
            const char *allow = getenv("MNTNS_ALLOW_SKIP");
            printf("  SKIP %s (%s): needs root\n", name, mode_name((enum mode)m));
            if (allow == NULL || strcmp(allow, "1") != 0)
                cases_failed++;
            continue;
        }
        char *scratch = make_scratch((enum mode)m);
        table_before = read_file("/proc/self/mountinfo");
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0)
            die("fork");
        if (pid == 0) {
            alarm(120);
            enter_mode((enum mode)m);
            fn(scratch);
            fflush(NULL);
            exit(failures ? 1 : 0);
        }
        int status = 0;
        while (waitpid(pid, &status, 0) < 0)
            if (errno != EINTR)
                die("waitpid");
        char *table_after = read_file("/proc/self/mountinfo");
        int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        if (!ok) {
            if (WIFSIGNALED(status))
                fprintf(stderr, "    killed by signal %d\n", WTERMSIG(status));
            else
                fprintf(stderr, "    exit status %d\n", WEXITSTATUS(status));
        }
        if (table_before == NULL || table_after == NULL ||
            strcmp(table_before, table_after) != 0) {
            fprintf(stderr, "    the host's mount table changed\n");
            ok = 0;
        }
        printf("  %s %s (%s)\n", ok ? "ok  " : "FAIL", name, mode_name((enum mode)m));
        if (!ok)
            cases_failed++;
        free(table_before);
        free(table_after);
        remove_scratch(scratch);
    }
}

#define RUN(fn, modes) run_case(#fn, fn, modes)

static inline int summary(const char *program) {
    if (cases_failed) {
        printf("%s: %d case(s) failed\n", program, cases_failed);
        return 1;
    }
    return 0;
}

/* The path "scratch/name" in a static buffer per call site's choice. */
static inline void join(char *out, size_t len, const char *dir, const char *name) {
    int n = snprintf(out, len, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= len) {
        fprintf(stderr, "harness: path too long\n");
        exit(2);
    }
}

static inline void make_dir(const char *path) {
    if (mkdir(path, 0755) < 0 && errno != EEXIST)
        die(path);
}

/* Waits for a child and returns its exit status (128 + signal when killed). */
static inline int wait_child(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            die("waitpid");
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* A helper process: forked, runs `setup`, says it is ready, and stays alive (in whatever
 * namespaces setup put it) until stop_helper. It leaves with _exit, never running the
 * sanitizers' exit checks in namespaces made for the test. */
struct helper {
    pid_t pid;
    int go;
};

static inline struct helper start_helper(void (*setup)(void *), void *arg) {
    int ready[2], go[2];
    if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0)
        die("pipe2");
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        char c = 'r';
        close(ready[0]);
        close(go[1]);
        setup(arg);
        if (write(ready[1], &c, 1) != 1)
            _exit(3);
        if (read(go[0], &c, 1) < 0)
            _exit(3);
        _exit(0);
    }
    close(ready[1]);
    close(go[0]);
    char c;
    if (read(ready[0], &c, 1) != 1) {
        fprintf(stderr, "    helper %d failed to set up (exit %d)\n", (int)pid, wait_child(pid));
        exit(1);
    }
    close(ready[0]);
    return (struct helper){pid, go[1]};
}

/* Lets the helper exit and reaps it; returns its exit status. */
static inline int stop_helper(struct helper h) {
    close(h.go);
    return wait_child(h.pid);
}

/* For setup functions: fail the helper (and so the case) with a message. */
static inline void helper_die(const char *what) {
    fprintf(stderr, "    helper: %s: %s\n", what, strerror(errno));
    _exit(3);
}

/* Leaves a case that changed its root (no /proc any more, where the leak checker would
 * look) without the exit-time checks. */
static inline void finish_case_now(void) {
    fflush(NULL);
    _exit(failures ? 1 : 0);
}

/* Whether `path` is the root of a tmpfs. */
static inline int is_tmpfs(const char *path) {
    struct statfs sfs;
    return statfs(path, &sfs) == 0 && sfs.f_type == 0x01021994 /* TMPFS_MAGIC */;
}

/* pidfd_open(2), or -1 when the system (valgrind 3.19, for one) does not know it: the
 * pidfd checks are then skipped, loudly, and the library's /proc fallbacks run instead. */
static inline int open_pidfd(pid_t pid) {
    int fd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0 && errno == ENOSYS)
        printf("    SKIP pidfd checks: pidfd_open is ENOSYS here (valgrind)\n");
    else if (fd < 0)
        die("pidfd_open");
    return fd;
}

/* Formats an id with the library (checked). */
static inline const char *id_text(const struct mntns_nsid *id, char *buf, size_t len) {
    int n = mntns_nsid_format(id, buf, len);
    if (n <= 0) {
        fprintf(stderr, "    mntns_nsid_format: %d: %s\n", n, mntns_last_error());
        failures++;
        snprintf(buf, len, "?");
    }
    return buf;
}

#endif /* MNTNS_TEST_CHECK_H */
