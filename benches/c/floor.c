/*
 * The floors the spawn benchmark compares libmntns against: the same work done by hand in
 * C, with nothing in between.
 *
 *   floor forkexec N        fork + execve of a static binary, N times (the baseline)
 *   floor sandbox N         the minimal sandbox by hand, forked child, N times
 *   floor vfork-sandbox N   the same sandbox from a CLONE_VM|CLONE_VFORK child
 *   floor oneshot           one sandbox, then exit with the command's status (timed as a
 *                           whole process against `mntns run --bare`)
 *
 * The sandbox: a new mount namespace (and user namespace when not root, mapping the caller
 * to root), "/" rslave, a tmpfs root over /tmp, /bin/busybox bound read-only at /bin/true,
 * pivot_root(".", "."), the old root detached, exec /bin/true. Prints nanoseconds per
 * iteration (median of the iterations) for the loop modes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *const ARGV[] = {"true", NULL};
static char *const ENVP[] = {"PATH=/bin", NULL};
static char uid_map[64], gid_map[64];
static int rootless;

static void die(const char *what) {
    perror(what);
    _exit(125);
}

static void write_file(const char *path, const char *data) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, data, strlen(data)) < 0) die(path);
    close(fd);
}

/* Runs in the new namespaces; never returns. */
static int sandbox_child(void *arg) {
    (void)arg;
    if (rootless) {
        write_file("/proc/self/setgroups", "deny");
        write_file("/proc/self/uid_map", uid_map);
        write_file("/proc/self/gid_map", gid_map);
    }
    if (mount("none", "/", NULL, MS_REC | MS_SLAVE, NULL)) die("rslave /");
    if (mount("tmpfs", "/tmp", "tmpfs", 0, "mode=755")) die("mount tmpfs");
    if (mkdir("/tmp/bin", 0755)) die("mkdir");
    int fd = open("/tmp/bin/true", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0) die("create");
    close(fd);
    if (mount("/bin/busybox", "/tmp/bin/true", NULL, MS_BIND, NULL)) die("bind");
    if (mount("none", "/tmp/bin/true", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL)) die("ro");
    if (chdir("/tmp")) die("chdir");
    if (syscall(SYS_pivot_root, ".", ".")) die("pivot_root");
    if (umount2(".", MNT_DETACH)) die("umount");
    if (chdir("/")) die("chdir /");
    execve("/bin/true", ARGV, ENVP);
    die("execve");
    return 125;
}

static int ns_flags(void) { return CLONE_NEWNS | (rootless ? CLONE_NEWUSER : 0); }

static void wait_ok(pid_t pid, int flags) {
    int status;
    if (waitpid(pid, &status, flags) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "child failed: status %#x\n", status);
        exit(1);
    }
}

static void once_forkexec(void) {
    pid_t pid = fork();
    if (pid == 0) {
        execve("/bin/busybox", ARGV, ENVP);
        _exit(127);
    }
    wait_ok(pid, 0);
}

static void once_sandbox(void) {
    pid_t pid = (pid_t)syscall(SYS_clone, ns_flags() | SIGCHLD, 0, 0, 0, 0);
    if (pid < 0) die("clone");
    if (pid == 0) sandbox_child(NULL);
    wait_ok(pid, 0);
}

static char stack[256 * 1024] __attribute__((aligned(16)));

static void once_vfork_sandbox(void) {
    pid_t pid = clone(sandbox_child, stack + sizeof stack, CLONE_VM | CLONE_VFORK | ns_flags() | SIGCHLD, NULL);
    if (pid < 0) die("clone");
    wait_ok(pid, 0);
}

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    rootless = geteuid() != 0;
    snprintf(uid_map, sizeof uid_map, "0 %u 1", (unsigned)geteuid());
    snprintf(gid_map, sizeof gid_map, "0 %u 1", (unsigned)getegid());
    if (argc < 2) {
        fprintf(stderr, "usage: floor forkexec|sandbox|vfork-sandbox N | floor oneshot\n");
        return 2;
    }
    if (!strcmp(argv[1], "oneshot")) {
        pid_t pid = (pid_t)syscall(SYS_clone, ns_flags() | SIGCHLD, 0, 0, 0, 0);
        if (pid == 0) sandbox_child(NULL);
        int status;
        waitpid(pid, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    int n = argc > 2 ? atoi(argv[2]) : 100;
    void (*once)(void) = NULL;
    if (!strcmp(argv[1], "forkexec")) once = once_forkexec;
    if (!strcmp(argv[1], "sandbox")) once = once_sandbox;
    if (!strcmp(argv[1], "vfork-sandbox")) once = once_vfork_sandbox;
    if (!once || n < 1) {
        fprintf(stderr, "floor: bad arguments\n");
        return 2;
    }
    int64_t *t = calloc((size_t)n, sizeof *t);
    for (int i = 0; i < n; i++) {
        int64_t s = now_ns();
        once();
        t[i] = now_ns() - s;
    }
    qsort(t, (size_t)n, sizeof *t, cmp);
    printf("%lld\n", (long long)t[n / 2]);
    return 0;
}
