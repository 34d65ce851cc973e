/*
 * Sandboxes from C: mntns_sandbox (every setter, observed from inside the sandbox, and its
 * bad input), mntns_child (statuses, waiting, signals, ids, freeing a running child), the
 * cached plan, entering in the calling process, spawning from a program with busy threads,
 * and descriptor hygiene. Each case runs as root, rootless (uid 0 of a user namespace) and,
 * where the sandbox itself must create the user namespace, as nobody.
 */
#include "check.h"

#include <dirent.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>

#define ALL (BOTH | MODE_NOBODY)
/* The descriptor the sandboxes' stdout is taken from (see capture). */
#define OUT_FD 63

/* Makes `sb` write its stdout to OUT_FD, which run() points at a fresh pipe each time, so
 * that spawning again needs no setter (and reuses the cached plan). */
static void capture(mntns_sandbox *sb) {
    CHECK_OK(mntns_sandbox_set_stdio(sb, MNTNS_STDIO_INHERIT, OUT_FD, MNTNS_STDIO_INHERIT));
}

/* Spawns argv (NULL: the sandbox's command), reads its stdout into out, waits. Returns
 * the raw wait status, or -1 (counted as a failure) when the spawn failed. */
static int run(mntns_sandbox *sb, const char *const *argv, char *out, size_t len) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0 || dup2(p[1], OUT_FD) < 0)
        die("pipe");
    close(p[1]);
    mntns_child *child = NULL;
    int rc = mntns_sandbox_spawn(sb, argv, &child);
    close(OUT_FD);
    size_t n = 0;
    ssize_t r;
    while (n + 1 < len && (r = read(p[0], out + n, len - n - 1)) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            die("read");
        n += (size_t)r;
    }
    out[n] = '\0';
    close(p[0]);
    if (rc < 0) {
        fprintf(stderr, "    spawn %s: %d: %s\n", argv ? argv[0] : "(command)", rc,
                mntns_last_error());
        failures++;
        return -1;
    }
    int status = -1;
    CHECK_OK(mntns_child_wait(child, &status));
    mntns_child_free(child);
    return status;
}

/* Points OUT_FD at /dev/null, for spawns whose output is not read (undo: close(OUT_FD)). */
static void out_to_null(void) {
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (fd < 0 || dup2(fd, OUT_FD) < 0)
        die("/dev/null");
    close(fd);
}

/* Spawns argv with its output to /dev/null (checked). */
static mntns_child *spawn(mntns_sandbox *sb, const char *const *argv) {
    mntns_child *child = NULL;
    out_to_null();
    CHECK_OK(mntns_sandbox_spawn(sb, argv, &child));
    close(OUT_FD);
    if (child == NULL)
        exit(1);
    return child;
}

/* run() of `sh -c SCRIPT`, expecting exit status 0. */
static void sh(mntns_sandbox *sb, const char *script, char *out, size_t len) {
    const char *argv[] = {"sh", "-c", script, NULL};
    int status = run(sb, argv, out, len);
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        fprintf(stderr, "    sh -c '%s': status %#x, output: %s\n", script, status, out);
        failures++;
    }
}

#define CHECK_OUT(out, want)                                                           \
    do {                                                                               \
        if (strcmp((out), (want)) != 0) {                                              \
            fprintf(stderr, "    %s:%d: output \"%s\", want \"%s\"\n", __FILE__, __LINE__, \
                    (out), (want));                                                    \
            failures++;                                                                \
        }                                                                              \
    } while (0)

#define CHECK_HAS(text, part)                                                          \
    do {                                                                               \
        if (strstr((text), (part)) == NULL) {                                          \
            fprintf(stderr, "    %s:%d: \"%s\" lacks \"%s\"\n", __FILE__, __LINE__, (text), \
                    (part));                                                           \
            failures++;                                                                \
        }                                                                              \
    } while (0)

/* valgrind runs clone(CLONE_VM|CLONE_VFORK) as a plain fork: the parent does not wait for
 * the exec, and a setup failure, which the child records in the memory it would share with
 * the parent, never reaches it. Under valgrind (which the leak check runs) the sandboxes
 * therefore spawn with MNTNS_CLONE_FORK; the sanitizer run covers the vfork path. */
static int under_valgrind(void) {
    const char *preload = getenv("LD_PRELOAD");
    return preload != NULL && strstr(preload, "vgpreload") != NULL;
}

/* A sandbox from mntns_sandbox_new (checked), on the fork path under valgrind. */
static mntns_sandbox *fresh_sandbox(void) {
    mntns_sandbox *sb = NULL;
    CHECK_OK(mntns_sandbox_new(&sb));
    if (sb == NULL)
        exit(1);
    if (under_valgrind())
        CHECK_OK(mntns_sandbox_set_clone_mode(sb, MNTNS_CLONE_FORK));
    return sb;
}

/* A fresh sandbox whose stdout run() captures. */
static mntns_sandbox *new_sandbox(void) {
    mntns_sandbox *sb = fresh_sandbox();
    capture(sb);
    return sb;
}

/* The explanation as a malloc'ed string (checked). */
static char *explain(mntns_sandbox *sb) {
    int n = mntns_sandbox_explain(sb, NULL, 0);
    if (n <= 0) {
        fprintf(stderr, "    explain: %d: %s\n", n, mntns_last_error());
        failures++;
        return strdup("");
    }
    char *buf = malloc((size_t)n + 1);
    CHECK(mntns_sandbox_explain(sb, buf, (size_t)n + 1) == n);
    CHECK(strlen(buf) == (size_t)n);
    return buf;
}

static void write_host_file(const char *path, const char *text) {
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        die(path);
    close(fd);
}

/* Copies the static busybox to `path` (for roots without the host's /usr). */
static void copy_busybox(const char *path) {
    char cmd[2 * PATH_MAX];
    snprintf(cmd, sizeof cmd, "cp /bin/busybox '%s'", path);
    if (system(cmd) != 0)
        die("cp /bin/busybox");
}

/* --- The default sandbox ------------------------------------------------------------- */

/* mntns run --tmpfs /tmp/tmp1:size=1m -- sh -c 'mount | grep tmp1', output through a pipe
 * passed as stdout. */
static void spawn_default_root(const char *scratch) {
    (void)scratch;
    mntns_sandbox *sb = new_sandbox();
    CHECK_OK(mntns_sandbox_add_tmpfs_options(sb, "/tmp/tmp1", "size=1m"));
    char out[4096];
    sh(sb, "mount | grep tmp1", out, sizeof out);
    CHECK_HAS(out, "tmpfs on /tmp/tmp1 type tmpfs (rw,");
    CHECK_HAS(out, "size=1024k");
    /* The host's /usr, read-only; the root is a tmpfs of its own. */
    sh(sb, "stat -f -c %T /; touch /usr/x 2>/dev/null || echo ro; ls /usr/bin/sh", out, sizeof out);
    CHECK_OUT(out, "tmpfs\nro\n/usr/bin/sh\n");
    mntns_sandbox_free(sb);
}

static void exit_statuses(const char *scratch) {
    (void)scratch;
    mntns_sandbox *sb = new_sandbox();
    char out[256];
    const char *exit3[] = {"sh", "-c", "exit 3", NULL};
    int status = run(sb, exit3, out, sizeof out);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 3);
    const char *usr1[] = {"sh", "-c", "kill -USR1 $$", NULL};
    status = run(sb, usr1, out, sizeof out);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGUSR1);
    const char *ok[] = {"true", NULL};
    status = run(sb, ok, out, sizeof out);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* Once collected, the status is returned again by every wait. */
    mntns_child *child = spawn(sb, exit3);
    int a = -1, b = -1, c = -1, d = -1;
    CHECK_OK(mntns_child_wait(child, &a));
    CHECK_OK(mntns_child_wait(child, &b));
    CHECK_OK(mntns_child_try_wait(child, &c));
    CHECK_OK(mntns_child_wait_timeout(child, 0, &d));
    CHECK(WIFEXITED(a) && WEXITSTATUS(a) == 3 && a == b && b == c && c == d);
    mntns_child_free(child);
    mntns_sandbox_free(sb);
}

/* --- Every setter, observed from inside ---------------------------------------------- */

static void mounts_setters(const char *scratch) {
    char src[PATH_MAX], file[PATH_MAX], out[4096];
    join(src, sizeof src, scratch, "src");
    make_dir(src);
    join(file, sizeof file, src, "f");
    write_host_file(file, "content");
    mntns_sandbox *sb = new_sandbox();
    struct mntns_tmpfs_opts opts;
    CHECK_OK(mntns_tmpfs_opts_init(&opts));
    opts.size_bytes = 64 * 1024;
    opts.mode = 0700;
    CHECK_OK(mntns_sandbox_add_tmpfs(sb, "/t", &opts));
    CHECK_OK(mntns_sandbox_add_bind(sb, src, "/ro", MNTNS_BIND_RECURSIVE | MNTNS_MOUNT_RDONLY));
    CHECK_OK(mntns_sandbox_add_bind(sb, src, "/rw", MNTNS_MOUNT_NOEXEC));
    CHECK_OK(mntns_sandbox_add_dir(sb, "/made/deep", 0700));
    CHECK_OK(mntns_sandbox_add_symlink(sb, "usr/share", "/share-link"));
    CHECK_OK(mntns_sandbox_add_file(sb, "/etc-file", "hello\0world", 11, 0640));
    CHECK_OK(mntns_sandbox_add_file(sb, "/empty", NULL, 0, 0600));
    CHECK_OK(mntns_sandbox_add_dev(sb, "/dev2"));
    sh(sb,
       "stat -f -c %T /t; stat -c %a /t; echo $(( $(stat -f -c '%b * %S' /t) ));"
       "cat /ro/f; echo; touch /ro/x 2>/dev/null || echo ro-refused;"
       "echo written > /rw/new; grep ' /rw ' /proc/self/mounts | grep -c noexec;"
       "stat -c %a /made/deep; readlink /share-link;"
       "stat -c '%a %s' /etc-file; od -An -c /etc-file | tr -s ' ';"
       "stat -c '%a %s' /empty; test -c /dev2/null && test -L /dev2/fd && echo dev2",
       out, sizeof out);
    CHECK_OUT(out, "tmpfs\n700\n65536\n"
                   "content\nro-refused\n"
                   "1\n"
                   "700\nusr/share\n"
                   "640 11\n h e l l o \\0 w o r l d\n"
                   "600 0\ndev2\n");
    /* The read-write bind wrote through to the host. */
    char host_new[PATH_MAX];
    join(host_new, sizeof host_new, src, "new");
    char *written = read_file(host_new);
    CHECK(written != NULL && strcmp(written, "written\n") == 0);
    free(written);
    mntns_sandbox_free(sb);

    /* A new proc needs a PID namespace. */
    sb = new_sandbox();
    CHECK_OK(mntns_sandbox_add_namespaces(sb, MNTNS_NS_PID | MNTNS_NS_IPC));
    CHECK_OK(mntns_sandbox_add_proc(sb, "/proc2"));
    sh(sb, "test -r /proc2/1/stat && test -r /proc2/$$/stat && echo $$", out, sizeof out);
    CHECK_OUT(out, "2\n");
    mntns_sandbox_free(sb);
}

static void process_setters(const char *scratch) {
    (void)scratch;
    char out[4096];
    mntns_sandbox *sb = new_sandbox();
    CHECK_OK(mntns_sandbox_set_hostname(sb, "box"));
    CHECK_OK(mntns_sandbox_setenv(sb, "MNTNS_CTEST_FOO", "bar"));
    CHECK_OK(mntns_sandbox_setenv(sb, "MNTNS_CTEST_GONE", "x"));
    CHECK_OK(mntns_sandbox_unsetenv(sb, "MNTNS_CTEST_GONE"));
    CHECK_OK(mntns_sandbox_unsetenv(sb, "HOME"));
    CHECK_OK(mntns_sandbox_set_cwd(sb, "/usr"));
    CHECK_OK(mntns_sandbox_set_no_new_privs(sb, 1));
    CHECK_OK(mntns_sandbox_set_new_session(sb, 1));
    sh(sb,
       "hostname; echo \"$MNTNS_CTEST_FOO:${MNTNS_CTEST_GONE-unset}:${HOME-unset}\"; pwd;"
       "grep NoNewPrivs /proc/self/status | tr -d '\\t';"
       "read pid comm state ppid pgrp sid rest < /proc/$$/stat; test $sid = $$ && echo leader",
       out, sizeof out);
    CHECK_OUT(out, "box\nbar:unset:unset\n/usr\nNoNewPrivs:1\nleader\n");
    /* The host's hostname is unchanged (the sandbox had a UTS namespace of its own). */
    char host[256];
    CHECK(gethostname(host, sizeof host) == 0 && strcmp(host, "box") != 0);
    CHECK_OK(mntns_sandbox_set_new_session(sb, 0));
    CHECK_OK(mntns_sandbox_set_no_new_privs(sb, 0));
    sh(sb,
       "grep NoNewPrivs /proc/self/status | tr -d '\\t';"
       "read pid comm state ppid pgrp sid rest < /proc/$$/stat; test $sid != $$ && echo member",
       out, sizeof out);
    CHECK_OUT(out, "NoNewPrivs:0\nmember\n");

    /* Ignored here, as a Rust or Python host ignores them: SIGPIPE and SIGXFSZ start at
     * their default in the command; SIGHUP stays ignored (as with nohup). With
     * restore_signals 0, all three stay ignored. */
    const unsigned long long pipe_xfsz = (1ull << (SIGPIPE - 1)) | (1ull << (SIGXFSZ - 1));
    const unsigned long long hup = 1ull << (SIGHUP - 1);
    CHECK(signal(SIGPIPE, SIG_IGN) != SIG_ERR && signal(SIGXFSZ, SIG_IGN) != SIG_ERR &&
          signal(SIGHUP, SIG_IGN) != SIG_ERR);
    for (int restore = 1; restore >= 0; restore--) {
        if (!restore)
            CHECK_OK(mntns_sandbox_set_restore_signals(sb, 0));
        sh(sb, "grep SigIgn /proc/self/status | cut -f2", out, sizeof out);
        unsigned long long ignored = strtoull(out, NULL, 16);
        CHECK((ignored & hup) == hup);
        CHECK((ignored & pipe_xfsz) == (restore ? 0 : pipe_xfsz));
    }
    CHECK_OK(mntns_sandbox_set_restore_signals(sb, 1));
    signal(SIGPIPE, SIG_DFL);
    signal(SIGXFSZ, SIG_DFL);
    signal(SIGHUP, SIG_DFL);

    /* An empty environment plus what is set. */
    CHECK_OK(mntns_sandbox_clearenv(sb));
    CHECK_OK(mntns_sandbox_setenv(sb, "ONLY", "1"));
    const char *env[] = {"/usr/bin/env", NULL};
    CHECK(run(sb, env, out, sizeof out) == 0);
    CHECK_OUT(out, "ONLY=1\n");

    /* The command set on the handle, run with argv NULL. */
    const char *cmd[] = {"/usr/bin/printf", "%s|", "a b", "\xff", NULL};
    CHECK_OK(mntns_sandbox_set_command(sb, cmd));
    CHECK(run(sb, NULL, out, sizeof out) == 0);
    CHECK_OUT(out, "a b|\xff|");
    char *text = explain(sb);
    CHECK_HAS(text, "exec /usr/bin/printf '%s|' 'a b'");
    free(text);
    mntns_sandbox_free(sb);
}

/* stdin from /dev/null, stderr and a passed descriptor into pipes. */
static void stdio_setters(const char *scratch) {
    (void)scratch;
    mntns_sandbox *sb = new_sandbox();
    int err[2], extra[2];
    CHECK(pipe2(err, O_CLOEXEC) == 0 && pipe2(extra, O_CLOEXEC) == 0);
    CHECK_OK(mntns_sandbox_set_stdio(sb, MNTNS_STDIO_NULL, OUT_FD, err[1]));
    CHECK_OK(mntns_sandbox_pass_fd(sb, extra[1], 5));
    char out[256];
    sh(sb, "stat -L -c %t:%T /proc/self/fd/0; cat; echo to-stderr >&2; echo passed >&5", out,
       sizeof out);
    CHECK_OUT(out, "1:3\n"); /* /dev/null is char 1:3; cat read EOF at once */
    close(err[1]);
    close(extra[1]);
    char buf[64] = {0};
    CHECK(read(err[0], buf, sizeof buf - 1) > 0);
    CHECK_OUT(buf, "to-stderr\n");
    memset(buf, 0, sizeof buf);
    CHECK(read(extra[0], buf, sizeof buf - 1) > 0);
    CHECK_OUT(buf, "passed\n");
    close(err[0]);
    close(extra[0]);
    /* A descriptor closed by the time of the spawn: EBADF from the spawn, with the step. */
    int gone = open("/dev/null", O_RDONLY | O_CLOEXEC);
    CHECK_OK(mntns_sandbox_pass_fd(sb, gone, 6));
    close(gone);
    CHECK_OK(mntns_sandbox_set_stdio(sb, MNTNS_STDIO_NULL, MNTNS_STDIO_NULL, MNTNS_STDIO_NULL));
    const char *ok[] = {"true", NULL};
    mntns_child *child = (mntns_child *)&gone;
    CHECK_ERR(mntns_sandbox_spawn(sb, ok, &child), EBADF, "not open");
    CHECK(child == (mntns_child *)&gone);
    mntns_sandbox_free(sb);
}

static void identity_setters(const char *scratch) {
    (void)scratch;
    char out[1024];
    mntns_sandbox *sb = new_sandbox();
    CHECK_OK(mntns_sandbox_set_rootless(sb, 1000, 1001));
    sh(sb, "id -u; id -g; cat /proc/self/uid_map | tr -s ' '", out, sizeof out);
    char want[128];
    /* The caller's euid (0 as root and in the rootless harness, 65534 as nobody). */
    snprintf(want, sizeof want, "1000\n1001\n 1000 %d 1\n", (int)geteuid());
    CHECK_OUT(out, want);
    struct mntns_nsid mine, theirs;
    CHECK_OK(mntns_ns_id(0, MNTNS_KIND_USER, &mine));

    /* Explicit maps, written by the parent. Root may map a range of ids it does not hold;
     * in the harness's user namespace only 0 (nobody outside) is mapped. */
    if (current_mode == MODE_ROOT) {
        CHECK_OK(mntns_sandbox_set_id_maps(sb, "0 100000 1000\n\n1000 5000 1\n", "0 100000 1000",
                                           1, 7, 8));
        sh(sb, "id -u; id -g; cat /proc/self/uid_map | tr -s ' '; cat /proc/self/setgroups",
           out, sizeof out);
        CHECK_OUT(out, "7\n8\n 0 100000 1000\n 1000 5000 1\nallow\n");
    } else if (current_mode == MODE_ROOTLESS) {
        CHECK_OK(mntns_sandbox_set_id_maps(sb, "0 0 1", "0 0 1", 0, 0, 0));
        sh(sb, "id -u; cat /proc/self/uid_map | tr -s ' '; cat /proc/self/setgroups", out,
           sizeof out);
        CHECK_OUT(out, "0\n 0 0 1\ndeny\n");
    } else {
        /* nobody may write only a map of its own id: the parent's write is refused. */
        CHECK_OK(mntns_sandbox_set_id_maps(sb, "0 0 1", "0 0 1", 0, 0, 0));
        const char *ok[] = {"true", NULL};
        mntns_child *child = NULL;
        out_to_null();
        CHECK_ERR(mntns_sandbox_spawn(sb, ok, &child), EPERM, "write uid_map /proc/");
        close(OUT_FD);
        CHECK(child == NULL);
    }

    /* The caller's own identity: no user namespace (needs root to create the others). */
    CHECK_OK(mntns_sandbox_set_host_identity(sb));
    const char *idu[] = {"id", "-u", NULL};
    if (geteuid() == 0) {
        CHECK(run(sb, idu, out, sizeof out) == 0);
        CHECK_OUT(out, "0\n");
        const char *sleeper[] = {"sleep", "100", NULL};
        mntns_child *child = spawn(sb, sleeper);
        CHECK_OK(mntns_child_ns_id(child, MNTNS_KIND_USER, &theirs));
        CHECK(theirs.ino == mine.ino && theirs.dev == mine.dev);
        mntns_child_free(child);
    } else {
        mntns_child *child = NULL;
        out_to_null();
        CHECK_ERR(mntns_sandbox_spawn(sb, idu, &child), EPERM, "needs root");
        close(OUT_FD);
        CHECK(child == NULL);
    }
    /* And back to the default. */
    CHECK_OK(mntns_sandbox_set_auto_identity(sb));
    CHECK(run(sb, idu, out, sizeof out) == 0);
    CHECK_OUT(out, "0\n");
    mntns_sandbox_free(sb);
}

/* Roots: bare, system, a tmpfs with options, a directory, a tar archive. */
static void root_setters(const char *scratch) {
    char rootdir[PATH_MAX], path[PATH_MAX], tarball[PATH_MAX], cmd[3 * PATH_MAX], out[1024];
    join(rootdir, sizeof rootdir, scratch, "root");
    make_dir(rootdir);
    join(path, sizeof path, rootdir, "busybox");
    copy_busybox(path);
    join(path, sizeof path, rootdir, "marker");
    write_host_file(path, "from-dir");
    const char *ls[] = {"/busybox", "ls", "/", NULL};
    const char *marker[] = {"/busybox", "cat", "/marker", NULL};

    /* Bare: only what is added. */
    mntns_sandbox *sb = new_sandbox();
    CHECK_OK(mntns_sandbox_set_base(sb, MNTNS_BASE_BARE));
    CHECK_OK(mntns_sandbox_add_bind(sb, "/bin/busybox", "/busybox", MNTNS_MOUNT_RDONLY));
    CHECK(run(sb, ls, out, sizeof out) == 0);
    CHECK_OUT(out, "busybox\n");
    /* System: /dev, /proc and /tmp too. */
    CHECK_OK(mntns_sandbox_set_base(sb, MNTNS_BASE_SYSTEM));
    CHECK(run(sb, ls, out, sizeof out) == 0);
    CHECK_OUT(out, "busybox\ndev\nproc\ntmp\n");
    /* A root tmpfs with a size; its mode stays 0755 when unset. */
    struct mntns_tmpfs_opts opts;
    mntns_tmpfs_opts_init(&opts);
    CHECK_OK(mntns_parse_size("2m", &opts.size_bytes));
    CHECK_OK(mntns_sandbox_set_root_tmpfs(sb, &opts));
    const char *statfs_root[] = {"/busybox", "stat", "-f", "-c", "%b %S", "/", NULL};
    CHECK(run(sb, statfs_root, out, sizeof out) == 0);
    CHECK_OUT(out, "512 4096\n");
    const char *mode_root[] = {"/busybox", "stat", "-c", "%a", "/", NULL};
    CHECK(run(sb, mode_root, out, sizeof out) == 0);
    CHECK_OUT(out, "755\n");
    mntns_sandbox_free(sb);

    /* A directory of the host as the root. */
    sb = new_sandbox();
    CHECK_OK(mntns_sandbox_set_base(sb, MNTNS_BASE_SYSTEM));
    CHECK_OK(mntns_sandbox_set_root_dir(sb, rootdir));
    CHECK(run(sb, marker, out, sizeof out) == 0);
    CHECK_OUT(out, "from-dir");
    mntns_sandbox_free(sb);

    /* A tar archive of it, unpacked into a tmpfs by the parent. */
    join(path, sizeof path, rootdir, "marker");
    write_host_file(path, "from-tar");
    join(tarball, sizeof tarball, scratch, "root.tar");
    snprintf(cmd, sizeof cmd, "tar -C '%s' -cf '%s' .", rootdir, tarball);
    CHECK(system(cmd) == 0);
    sb = new_sandbox();
    CHECK_OK(mntns_sandbox_set_base(sb, MNTNS_BASE_SYSTEM));
    mntns_tmpfs_opts_init(&opts);
    CHECK_OK(mntns_sandbox_set_root_tar(sb, tarball, &opts));
    CHECK(run(sb, marker, out, sizeof out) == 0);
    CHECK_OUT(out, "from-tar");
    mntns_sandbox_free(sb);
}

/* Explain shows each option; keep_old_root, propagation, clone mode, death signal. */
static void explain_setters(const char *scratch) {
    (void)scratch;
    char out[1024];
    mntns_sandbox *sb = new_sandbox();
    CHECK_OK(mntns_sandbox_add_tmpfs_options(sb, "/tmp/tmp1", "size=1m"));
    const char *cmd[] = {"sh", "-c", "mount | grep tmp1", NULL};
    CHECK_OK(mntns_sandbox_set_command(sb, cmd));
    char *text = explain(sb);
    CHECK_HAS(text, "  1. clone(");
    CHECK_HAS(text, "CLONE_NEWNS)");
    CHECK_HAS(text, "mount --make-rslave /");
    CHECK_HAS(text, "mkdir -p ./tmp/tmp1; mount -t tmpfs -o size=1048576 tmpfs ./tmp/tmp1");
    CHECK_HAS(text, "pivot_root . .; umount -l .");
    CHECK_HAS(text, "prctl(PR_SET_PDEATHSIG, SIGKILL)");
    CHECK_HAS(text, "exec sh -c 'mount | grep tmp1'\n");
    CHECK_HAS(text, under_valgrind() ? "copy-on-write child" : "CLONE_VM|CLONE_VFORK");
    if (geteuid() != 0) /* nobody: the sandbox maps the caller itself */
        CHECK_HAS(text, "echo 'deny' > /proc/self/setgroups");
    /* Exactly the length, like snprintf; too small a buffer is ERANGE and untouched. */
    size_t n = strlen(text);
    char *small = malloc(n);
    memset(small, 'x', n);
    char needs[128];
    snprintf(needs, sizeof needs, "needs %zu bytes with its NUL, the buffer has %zu", n + 1, n);
    CHECK_ERR(mntns_sandbox_explain(sb, small, n), ERANGE, needs);
    CHECK(small[0] == 'x' && small[n - 1] == 'x');
    free(small);
    free(text);

    CHECK_OK(mntns_sandbox_set_die_with_parent(sb, 0));
    CHECK_OK(mntns_sandbox_set_root_propagation(sb, MNTNS_PROPAGATION_PRIVATE));
    CHECK_OK(mntns_sandbox_set_keep_old_root(sb, "old-root"));
    CHECK_OK(mntns_sandbox_set_clone_mode(sb, MNTNS_CLONE_FORK));
    text = explain(sb);
    CHECK(strstr(text, "PR_SET_PDEATHSIG") == NULL);
    CHECK_HAS(text, "mount --make-rprivate /");
    CHECK_HAS(text, "mkdir -p old-root; pivot_root . old-root");
    CHECK_HAS(text, "copy-on-write child");
    free(text);
    sh(sb, "grep -c ' /old-root ' /proc/self/mountinfo; test -d /old-root/usr && echo kept", out,
       sizeof out);
    CHECK_OUT(out, "1\nkept\n");
    CHECK_OK(mntns_sandbox_set_keep_old_root(sb, NULL));
    CHECK_OK(mntns_sandbox_set_clone_mode(sb, MNTNS_CLONE_VFORK));
    CHECK_OK(mntns_sandbox_set_root_propagation(sb, MNTNS_PROPAGATION_SLAVE));
    text = explain(sb);
    CHECK_HAS(text, "pivot_root . .; umount -l .");
    CHECK_HAS(text, "CLONE_VM|CLONE_VFORK");
    CHECK_HAS(text, "mount --make-rslave /");
    free(text);
    sh(sb, "test -e /old-root || echo gone", out, sizeof out);
    CHECK_OUT(out, "gone\n");
    mntns_sandbox_free(sb);
}

/* --- Bad input ----------------------------------------------------------------------- */

/* NULL handles and arguments, unknown bits and values: refused by the setter, nothing
 * changed. */
static void setter_refusals(const char *scratch) {
    (void)scratch;
    struct mntns_tmpfs_opts opts;
    mntns_tmpfs_opts_init(&opts);
    const char *argv[] = {"true", NULL};
    mntns_sandbox *sb = NULL;
    char buf[16];
    CHECK_ERR(mntns_sandbox_new(NULL), EINVAL, "mntns_sandbox_new: EINVAL (invalid argument; sb_out is NULL)");
    mntns_sandbox_free(NULL);
    CHECK_ERR(mntns_sandbox_set_base(NULL, MNTNS_BASE_HOST), EINVAL, "mntns_sandbox_set_base: EINVAL (invalid argument; sb is NULL)");
    CHECK_ERR(mntns_sandbox_set_root_tmpfs(NULL, &opts), EINVAL, "sb is NULL");
    CHECK_ERR(mntns_sandbox_set_root_dir(NULL, "/"), EINVAL, "sb is NULL");
    CHECK_ERR(mntns_sandbox_set_root_tar(NULL, "/x.tar", &opts), EINVAL, "sb is NULL");
    CHECK_ERR(mntns_sandbox_add_namespaces(NULL, MNTNS_NS_PID), EINVAL, "sb is NULL");
    CHECK_ERR(mntns_sandbox_add_tmpfs(NULL, "/x", &opts), EINVAL, "sb is NULL");
    CHECK_ERR(mntns_sandbox_add_tmpfs_options(NULL, "/x", ""), EINVAL, "sb is NULL");
    CHECK_ERR(mntns_sandbox_add_bind(NULL, "/usr", "/x", 0), EINVAL, "sb is NULL");
    CHECK_ERR(mntns_sandbox_add_proc(NULL, "/proc"), EINVAL, "sb is NULL");
    CHECK_ERR(mntns_sandbox_add_dev(NULL, "/dev"), EINVAL, "sb is NULL");
    CHECK_ERR(mntns_sandbox_add_dir(NULL, "/x", 0755), EINVAL, "sb is NULL");
    CHECK_ERR(mntns_sandbox_add_symlink(NULL, "a", "/x"), EINVAL, "sb is NULL");
    CHECK_ERR(mntns_sandbox_add_file(NULL, "/x", "a", 1, 0644), EINVAL, "sb is NULL");
    CHECK_ERR(mntns_sandbox_set_rootless(NULL, 0, 0), EINVAL, "sb is NULL");
    CHECK_ERR(mntns_sandbox_set_host_identity(NULL), EINVAL, "sb is NULL");
    CHECK_ERR(mntns_sandbox_set_auto_identity(NULL), EINVAL, "sb is NULL");
    CHECK_ERR(mntns_sandbox_set_id_maps(NULL, "0 0 1", "0 0 1", 0, 0, 0), EINVAL, "sb is NULL");
    CHECK_ERR(mntns_sandbox_set_hostname(NULL, "x"), EINVAL, "sb is NULL");
    CHECK_ERR(mntns_sandbox_setenv(NULL, "A", "1"), EINVAL, "sb is NULL");
    CHECK_ERR(mntns_sandbox_unsetenv(NULL, "A"), EINVAL, "sb is NULL");
    CHECK_ERR(mntns_sandbox_clearenv(NULL), EINVAL, "sb is NULL");
    CHECK_ERR(mntns_sandbox_set_cwd(NULL, "/"), EINVAL, "sb is NULL");
    CHECK_ERR(mntns_sandbox_set_stdio(NULL, -1, -1, -1), EINVAL, "sb is NULL");
    CHECK_ERR(mntns_sandbox_pass_fd(NULL, 0, 3), EINVAL, "sb is NULL");
    CHECK_ERR(mntns_sandbox_set_new_session(NULL, 1), EINVAL, "sb is NULL");
    CHECK_ERR(mntns_sandbox_set_no_new_privs(NULL, 1), EINVAL, "sb is NULL");
    CHECK_ERR(mntns_sandbox_set_restore_signals(NULL, 1), EINVAL, "sb is NULL");
    CHECK_ERR(mntns_sandbox_set_die_with_parent(NULL, 1), EINVAL, "sb is NULL");
    CHECK_ERR(mntns_sandbox_set_keep_old_root(NULL, NULL), EINVAL, "sb is NULL");
    CHECK_ERR(mntns_sandbox_set_root_propagation(NULL, MNTNS_PROPAGATION_SLAVE), EINVAL, "sb is NULL");
    CHECK_ERR(mntns_sandbox_set_clone_mode(NULL, MNTNS_CLONE_AUTO), EINVAL, "sb is NULL");
    CHECK_ERR(mntns_sandbox_set_command(NULL, argv), EINVAL, "sb is NULL");
    CHECK_ERR(mntns_sandbox_plan(NULL), EINVAL, "mntns_sandbox_plan: EINVAL (invalid argument; sb is NULL)");
    CHECK_ERR(mntns_sandbox_explain(NULL, buf, sizeof buf), EINVAL, "sb is NULL");
    CHECK_ERR(mntns_sandbox_spawn(NULL, argv, &(mntns_child *){NULL}), EINVAL, "sb is NULL");
    CHECK_ERR(mntns_sandbox_enter(NULL), EINVAL, "sb is NULL");

    CHECK_OK(mntns_sandbox_new(&sb));
    CHECK_ERR(mntns_sandbox_set_root_tmpfs(sb, NULL), EINVAL, "opts is NULL");
    CHECK_ERR(mntns_sandbox_set_root_dir(sb, NULL), EINVAL, "path is NULL");
    CHECK_ERR(mntns_sandbox_set_root_tar(sb, NULL, &opts), EINVAL, "path is NULL");
    CHECK_ERR(mntns_sandbox_set_root_tar(sb, "/x.tar", NULL), EINVAL, "opts is NULL");
    CHECK_ERR(mntns_sandbox_add_tmpfs(sb, NULL, &opts), EINVAL, "target is NULL");
    CHECK_ERR(mntns_sandbox_add_tmpfs(sb, "/x", NULL), EINVAL, "opts is NULL");
    CHECK_ERR(mntns_sandbox_add_tmpfs_options(sb, NULL, ""), EINVAL, "target is NULL");
    CHECK_ERR(mntns_sandbox_add_tmpfs_options(sb, "/x", NULL), EINVAL, "options is NULL");
    CHECK_ERR(mntns_sandbox_add_bind(sb, NULL, "/x", 0), EINVAL, "source is NULL");
    CHECK_ERR(mntns_sandbox_add_bind(sb, "/usr", NULL, 0), EINVAL, "target is NULL");
    CHECK_ERR(mntns_sandbox_add_proc(sb, NULL), EINVAL, "target is NULL");
    CHECK_ERR(mntns_sandbox_add_dev(sb, NULL), EINVAL, "target is NULL");
    CHECK_ERR(mntns_sandbox_add_dir(sb, NULL, 0755), EINVAL, "target is NULL");
    CHECK_ERR(mntns_sandbox_add_symlink(sb, NULL, "/x"), EINVAL, "link is NULL");
    CHECK_ERR(mntns_sandbox_add_symlink(sb, "a", NULL), EINVAL, "target is NULL");
    CHECK_ERR(mntns_sandbox_add_file(sb, NULL, "a", 1, 0644), EINVAL, "target is NULL");
    CHECK_ERR(mntns_sandbox_add_file(sb, "/x", NULL, 5, 0644), EINVAL, "data is NULL but len is 5");
    CHECK_ERR(mntns_sandbox_add_file(sb, "/x", "a", SIZE_MAX, 0644), EINVAL, "len 18446744073709551615 is larger than any buffer");
    CHECK_ERR(mntns_sandbox_set_id_maps(sb, NULL, "0 0 1", 0, 0, 0), EINVAL, "uid_map is NULL");
    CHECK_ERR(mntns_sandbox_set_id_maps(sb, "0 0 1", NULL, 0, 0, 0), EINVAL, "gid_map is NULL");
    CHECK_ERR(mntns_sandbox_set_hostname(sb, NULL), EINVAL, "name is NULL");
    CHECK_ERR(mntns_sandbox_setenv(sb, NULL, "1"), EINVAL, "key is NULL");
    CHECK_ERR(mntns_sandbox_setenv(sb, "A", NULL), EINVAL, "value is NULL");
    CHECK_ERR(mntns_sandbox_unsetenv(sb, NULL), EINVAL, "key is NULL");
    CHECK_ERR(mntns_sandbox_set_cwd(sb, NULL), EINVAL, "dir is NULL");
    CHECK_ERR(mntns_sandbox_set_command(sb, NULL), EINVAL, "argv is NULL");
    CHECK_ERR(mntns_sandbox_explain(sb, NULL, 5), EINVAL, "buf is NULL but len is 5");
    CHECK_ERR(mntns_sandbox_spawn(sb, argv, NULL), EINVAL, "child_out is NULL");

    /* Unknown bits and values. */
    CHECK_ERR(mntns_sandbox_set_base(sb, 0), EINVAL, "base 0 is not one of MNTNS_BASE_BARE");
    CHECK_ERR(mntns_sandbox_set_base(sb, 4), EINVAL, "base 4 is not one of");
    CHECK_ERR(mntns_sandbox_add_namespaces(sb, MNTNS_NS_PID | 0x1), EINVAL, "unknown flag bits 0x1");
    CHECK_ERR(mntns_sandbox_add_namespaces(sb, -1), EINVAL, "unknown flag bits");
    CHECK_ERR(mntns_sandbox_add_bind(sb, "/usr", "/x", 1ULL << 40), EINVAL, "unknown flag bits 0x10000000000");
    CHECK_ERR(mntns_sandbox_add_bind(sb, "/usr", "/x", MNTNS_TMPFS_NOSWAP), EINVAL, "unknown flag bits 0x100000000");
    CHECK_ERR(mntns_sandbox_set_clone_mode(sb, 0), EINVAL, "mode 0 is not one of MNTNS_CLONE_AUTO");
    CHECK_ERR(mntns_sandbox_set_root_propagation(sb, MNTNS_PROPAGATION_SHARED), EINVAL, "is not MNTNS_PROPAGATION_SLAVE or MNTNS_PROPAGATION_PRIVATE");
    CHECK_ERR(mntns_sandbox_set_stdio(sb, -3, -1, -1), EBADF, "in_fd -3 is not an open file descriptor, MNTNS_STDIO_INHERIT (-1) or MNTNS_STDIO_NULL (-2)");
    CHECK_ERR(mntns_sandbox_set_stdio(sb, -1, -1, INT_MIN), EBADF, "err_fd -2147483648");
    CHECK_ERR(mntns_sandbox_pass_fd(sb, -1, 3), EBADF, "fd -1 is not an open file descriptor");
    CHECK_ERR(mntns_sandbox_set_new_session(sb, 2), EINVAL, "yes must be 0 or 1, not 2");
    CHECK_ERR(mntns_sandbox_set_restore_signals(sb, -1), EINVAL, "yes must be 0 or 1, not -1");
    CHECK_ERR(mntns_sandbox_set_no_new_privs(sb, -1), EINVAL, "yes must be 0 or 1, not -1");
    CHECK_ERR(mntns_sandbox_set_die_with_parent(sb, 7), EINVAL, "yes must be 0 or 1, not 7");
    CHECK_ERR(mntns_sandbox_set_id_maps(sb, "0 0 1", "0 0 1", 2, 0, 0), EINVAL, "allow_setgroups must be 0 or 1, not 2");
    CHECK_ERR(mntns_sandbox_set_id_maps(sb, "0 0 1\n0 0", "0 0 1", 0, 0, 0), EINVAL, "uid_map line 2: \"0 0\": expected three numbers");
    CHECK_ERR(mntns_sandbox_set_id_maps(sb, "0 0 1", "0 -1 1", 0, 0, 0), EINVAL, "gid_map line 1");
    CHECK_ERR(mntns_sandbox_set_id_maps(sb, "0 0 1", "\xff", 0, 0, 0), EINVAL, "is not valid UTF-8 text");
    /* Sizes the kernel would turn into "unlimited". */
    opts.size_bytes = 0;
    CHECK_ERR(mntns_sandbox_add_tmpfs(sb, "/x", &opts), EINVAL, "size_bytes is 0");
    CHECK_ERR(mntns_sandbox_set_root_tmpfs(sb, &opts), EINVAL, "size_bytes is 0");
    CHECK_ERR(mntns_sandbox_set_root_tar(sb, "/x.tar", &opts), EINVAL, "size_bytes is 0");
    mntns_tmpfs_opts_init(&opts);
    opts.flags = MNTNS_BIND_RECURSIVE;
    CHECK_ERR(mntns_sandbox_add_tmpfs(sb, "/x", &opts), EINVAL, "unknown flag bits 0x200000000");
    CHECK_ERR(mntns_sandbox_add_tmpfs_options(sb, "/x", "size=0"), EINVAL, "tmpfs options /x: EINVAL (invalid argument; size=\"0\": 0 would make the kernel's tmpfs unlimited");
    CHECK_ERR(mntns_sandbox_add_tmpfs_options(sb, "/x", "size=1m,size=2m"), EINVAL, "size");
    CHECK_ERR(mntns_sandbox_add_tmpfs_options(sb, "/x", "bogus"), EINVAL, "bogus");

    /* None of it changed the sandbox: it still plans, with no /x anywhere. */
    CHECK_OK(mntns_sandbox_plan(sb));
    char *text = explain(sb);
    CHECK(strstr(text, "./x") == NULL);
    free(text);
    mntns_sandbox_free(sb);
}

/* Mistakes only the whole spec shows: -EINVAL (or the errno of the check) from _plan,
 * _explain and _spawn, with the argument named, before any process exists. */
static void planning_refusals(const char *scratch) {
    char file[PATH_MAX];
    join(file, sizeof file, scratch, "file");
    write_host_file(file, "x");
    const char *argv[] = {"true", NULL};
    char buf[64];
    struct {
        const char *what;
        int errno_;
        const char *text;
    } cases[] = {
        {"relative tmpfs", EINVAL, "tmpfs target tmp/x: EINVAL (invalid argument; paths inside the sandbox must be absolute"},
        {"dotdot", EINVAL, "\"..\" is not allowed"},
        {"two on one target", EINVAL, "sandbox mounts /a: EINVAL (invalid argument; two entries on one target /a"},
        {"missing bind source", ENOENT, "open bind source /nonexistent-mntns: ENOENT (no such file or directory; the bind source does not exist)"},
        {"relative bind source", EINVAL, "bind sources must be absolute host paths"},
        {"hostname too long", EINVAL, "must be 1 to 64 bytes"},
        {"bad variable", EINVAL, "is not a variable name"},
        {"pass to stdout", EINVAL, "target descriptor 1 is one of 0, 1, 2"},
        {"root missing", ENOENT, "open root /nonexistent-root: ENOENT"},
        {"root is a file", ENOTDIR, "the root must be a directory"},
        {"vfork with pid", EINVAL, "CloneMode::Vfork cannot run this plan"},
        {"dir mode", EINVAL, "10000 is not a file mode"},
        {"overlapping maps", EINVAL, "overlap"},
        {"relative cwd", EINVAL, "working directory usr: EINVAL"},
        {"empty symlink", EINVAL, "the link text is empty"},
        {"old root is the root", EINVAL, "the path names the root itself"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mntns_sandbox *sb = NULL;
        CHECK_OK(mntns_sandbox_new(&sb));
        switch (i) {
        case 0: CHECK_OK(mntns_sandbox_add_tmpfs_options(sb, "tmp/x", "")); break;
        case 1: CHECK_OK(mntns_sandbox_add_dir(sb, "/a/../../b", 0755)); break;
        case 2:
            CHECK_OK(mntns_sandbox_add_tmpfs_options(sb, "/a", "size=1m"));
            CHECK_OK(mntns_sandbox_add_dir(sb, "/a/", 0755));
            break;
        case 3: CHECK_OK(mntns_sandbox_add_bind(sb, "/nonexistent-mntns", "/x", 0)); break;
        case 4: CHECK_OK(mntns_sandbox_add_bind(sb, "usr", "/x", 0)); break;
        case 5: CHECK_OK(mntns_sandbox_set_hostname(sb, "0123456789012345678901234567890123456789012345678901234567890123456789")); break;
        case 6: CHECK_OK(mntns_sandbox_setenv(sb, "A=B", "1")); break;
        case 7: CHECK_OK(mntns_sandbox_pass_fd(sb, 0, 1)); break;
        case 8: CHECK_OK(mntns_sandbox_set_root_dir(sb, "/nonexistent-root")); break;
        case 9: CHECK_OK(mntns_sandbox_set_root_dir(sb, file)); break;
        case 10:
            CHECK_OK(mntns_sandbox_add_namespaces(sb, MNTNS_NS_PID));
            CHECK_OK(mntns_sandbox_set_clone_mode(sb, MNTNS_CLONE_VFORK));
            break;
        case 11: CHECK_OK(mntns_sandbox_add_dir(sb, "/x", 010000)); break;
        case 12: CHECK_OK(mntns_sandbox_set_id_maps(sb, "0 0 10\n5 100 1", "0 0 1", 0, 0, 0)); break;
        case 13: CHECK_OK(mntns_sandbox_set_cwd(sb, "usr")); break;
        case 14: CHECK_OK(mntns_sandbox_add_symlink(sb, "", "/x")); break;
        case 15: CHECK_OK(mntns_sandbox_set_keep_old_root(sb, "/")); break;
        }
        mntns_child *child = (mntns_child *)buf;
        memset(buf, 'x', sizeof buf);
        if (mntns_sandbox_plan(sb) != -cases[i].errno_ ||
            strstr(mntns_last_error(), cases[i].text) == NULL) {
            fprintf(stderr, "    %s: plan: %s\n", cases[i].what, mntns_last_error());
            failures++;
        }
        CHECK_ERR(mntns_sandbox_explain(sb, buf, sizeof buf), cases[i].errno_, cases[i].text);
        CHECK_ERR(mntns_sandbox_spawn(sb, argv, &child), cases[i].errno_, cases[i].text);
        CHECK(child == (mntns_child *)buf && buf[0] == 'x' && buf[sizeof buf - 1] == 'x');
        mntns_sandbox_free(sb);
    }

    /* No command: from an empty argv, and from a NULL argv without _set_command. */
    mntns_sandbox *sb = NULL;
    CHECK_OK(mntns_sandbox_new(&sb));
    const char *empty[] = {NULL};
    mntns_child *child = NULL;
    CHECK_ERR(mntns_sandbox_spawn(sb, empty, &child), EINVAL, "spawn sandbox: EINVAL (invalid argument; no command given");
    CHECK_ERR(mntns_sandbox_spawn(sb, NULL, &child), EINVAL, "no command given");
    CHECK_OK(mntns_sandbox_set_command(sb, argv));
    CHECK_OK(mntns_sandbox_set_command(sb, empty));
    CHECK_ERR(mntns_sandbox_spawn(sb, NULL, &child), EINVAL, "no command given");
    CHECK(child == NULL);
    mntns_sandbox_free(sb);
}

/* Linux paths are bytes: targets, sources and arguments that are not UTF-8 work. */
static void non_utf8_paths(const char *scratch) {
    char src[PATH_MAX], file[PATH_MAX], out[1024];
    join(src, sizeof src, scratch, "src\xff");
    make_dir(src);
    join(file, sizeof file, src, "f");
    write_host_file(file, "bytes");
    mntns_sandbox *sb = new_sandbox();
    CHECK_OK(mntns_sandbox_add_tmpfs_options(sb, "/tmp/\xff\xfe", "size=64k"));
    CHECK_OK(mntns_sandbox_add_bind(sb, src, "/b\xff", MNTNS_MOUNT_RDONLY));
    CHECK_OK(mntns_sandbox_add_dir(sb, "/d\xfe/e", 0711));
    CHECK_OK(mntns_sandbox_add_symlink(sb, "/b\xff", "/l\xfd"));
    CHECK_OK(mntns_sandbox_set_cwd(sb, "/d\xfe"));
    CHECK_OK(mntns_sandbox_setenv(sb, "MNTNS_CTEST_\xff", "\xfe"));
    const char *argv[] = {"sh", "-c",
                          "stat -f -c %T \"$1\"; cat \"$2\"/f; echo; stat -c %a e; "
                          "cat \"$3\"/f; echo",
                          "sh", "/tmp/\xff\xfe", "/b\xff", "/l\xfd", NULL};
    CHECK(run(sb, argv, out, sizeof out) == 0);
    CHECK_OUT(out, "tmpfs\nbytes\n711\nbytes\n");
    /* (env itself: sh would drop a variable whose name is not a shell name) */
    const char *env[] = {"/usr/bin/env", NULL};
    char *all = malloc(1 << 16);
    CHECK(run(sb, env, all, 1 << 16) == 0);
    CHECK_HAS(all, "\nMNTNS_CTEST_\xff=\xfe\n");
    free(all);
    /* The explanation is text: other bytes show as U+FFFD there. */
    char *text = explain(sb);
    CHECK_HAS(text, "mount -t tmpfs -o size=65536 tmpfs .'/tmp/\xef\xbf\xbd\xef\xbf\xbd'");
    free(text);
    mntns_sandbox_free(sb);
}

static void missing_command(const char *scratch) {
    (void)scratch;
    mntns_sandbox *sb = fresh_sandbox();
    const char *argv[] = {"no-such-command-mntns", NULL};
    mntns_child *child = NULL;
    CHECK_ERR(mntns_sandbox_spawn(sb, argv, &child), ENOENT, "exec no-such-command-mntns: ENOENT (no such file or directory; command not found in the sandbox's root");
    CHECK(child == NULL);
    const char *abs[] = {"/usr/bin/no-such-command-mntns", NULL};
    CHECK_ERR(mntns_sandbox_spawn(sb, abs, &child), ENOENT, "exec /usr/bin/no-such-command-mntns: ENOENT");
    mntns_sandbox_free(sb);
}

/* A step that fails inside the child: the step, path, errno and hint come back. */
static void setup_failure(const char *scratch) {
    (void)scratch;
    mntns_sandbox *sb = fresh_sandbox();
    CHECK_OK(mntns_sandbox_add_tmpfs_options(sb, "/usr/new/dir", ""));
    const char *argv[] = {"true", NULL};
    mntns_child *child = NULL;
    CHECK_ERR(mntns_sandbox_spawn(sb, argv, &child), EROFS, "mount tmpfs on /usr/new/dir: EROFS (read-only file system; the directory that should hold the target is read-only");
    CHECK(child == NULL);
    mntns_sandbox_free(sb);
}

/* --- Children ------------------------------------------------------------------------ */

/* How many processes have `mark` in their environment. */
static int count_marked(const char *mark) {
    DIR *proc = opendir("/proc");
    if (proc == NULL)
        die("opendir /proc");
    int n = 0;
    struct dirent *e;
    while ((e = readdir(proc)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char path[300];
        snprintf(path, sizeof path, "/proc/%s/environ", e->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        char buf[65536];
        ssize_t len = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (len <= 0)
            continue;
        for (ssize_t i = 0; i < len; i += (ssize_t)strlen(buf + i) + 1) {
            buf[len] = '\0';
            if (strcmp(buf + i, mark) == 0) {
                n++;
                break;
            }
        }
    }
    closedir(proc);
    return n;
}

/* mntns_child_free of a running sandbox kills and reaps it: nothing is left. Without a PID
 * namespace the sandbox is one process (the command); with one, its init takes every
 * process of the namespace along. */
static void free_kills_running_child(const char *scratch) {
    (void)scratch;
    char mark[64];
    snprintf(mark, sizeof mark, "MNTNS_CTEST_MARK=%d", (int)getpid());
    for (int pidns = 0; pidns <= 1; pidns++) {
        mntns_sandbox *sb = new_sandbox();
        CHECK_OK(mntns_sandbox_setenv(sb, "MNTNS_CTEST_MARK", mark + strlen("MNTNS_CTEST_MARK=")));
        if (pidns)
            CHECK_OK(mntns_sandbox_add_namespaces(sb, MNTNS_NS_PID));
        const char *single[] = {"sh", "-c", "echo started; exec sleep 100", NULL};
        const char *tree[] = {"sh", "-c", "sleep 100 & sleep 100 & echo started; wait", NULL};
        int p[2];
        CHECK(pipe2(p, O_CLOEXEC) == 0 && dup2(p[1], OUT_FD) == OUT_FD);
        close(p[1]);
        mntns_child *child;
        CHECK_OK(mntns_sandbox_spawn(sb, pidns ? tree : single, &child));
        close(OUT_FD);
        char buf[16] = {0};
        CHECK(read(p[0], buf, sizeof buf - 1) > 0); /* the command runs */
        close(p[0]);
        /* The command's processes (a PID namespace's init never execs: it has the
         * caller's environment, without the mark). "started" is printed before the
         * last exec, and a process in the middle of fork or execve shows no environment
         * for a moment, so the count may take a little while to settle. */
        int want = pidns ? 3 : 1, before = count_marked(mark);
        for (int tries = 0; before != want && tries < 500; tries++) {
            usleep(10000);
            before = count_marked(mark);
        }
        CHECK(before == want);
        pid_t pid = 0;
        CHECK_OK(mntns_child_pid(child, &pid));
        CHECK(pid > 0 && kill(pid, 0) == 0);
        mntns_child_free(child);
        /* Killed and reaped: the pid is gone (not a zombie), and so is every process. */
        CHECK(kill(pid, 0) < 0 && errno == ESRCH);
        CHECK(count_marked(mark) == 0);
        mntns_sandbox_free(sb);
    }
}

/* With a PID namespace the command is pid 2 under an init that reports its status. */
static void pid_namespace_status(const char *scratch) {
    (void)scratch;
    mntns_sandbox *sb = new_sandbox();
    CHECK_OK(mntns_sandbox_add_namespaces(sb, MNTNS_NS_PID));
    char out[256];
    const char *exit7[] = {"sh", "-c", "test $$ = 2 && exit 7", NULL};
    int status = run(sb, exit7, out, sizeof out);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7);
    const char *term[] = {"sh", "-c", "kill -TERM $$", NULL};
    status = run(sb, term, out, sizeof out);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    /* An orphan does not keep the sandbox alive: init exits with the command. */
    const char *orphan[] = {"sh", "-c", "sleep 100 & exit 0", NULL};
    status = run(sb, orphan, out, sizeof out);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* A signal to the sandbox reaches the command through init. */
    const char *sleeper[] = {"sleep", "100", NULL};
    mntns_child *child = spawn(sb, sleeper);
    CHECK_OK(mntns_child_kill(child, SIGINT));
    CHECK_OK(mntns_child_wait(child, &status));
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT);
    mntns_child_free(child);
    mntns_sandbox_free(sb);
}

static void kill_and_wait(const char *scratch) {
    (void)scratch;
    mntns_sandbox *sb = new_sandbox();
    const char *sleeper[] = {"sleep", "100", NULL};
    mntns_child *child = spawn(sb, sleeper);
    int status = 12345, pidfd = -5;
    pid_t pid = 0;
    CHECK_OK(mntns_child_pid(child, &pid));
    char running[64];
    snprintf(running, sizeof running, "sandbox process %d is still running", (int)pid);
    CHECK_ERR(mntns_child_try_wait(child, &status), EAGAIN, running);
    CHECK_ERR(mntns_child_wait_timeout(child, 50, &status), ETIMEDOUT, running);
    CHECK_ERR(mntns_child_wait_timeout(child, -1, &status), EINVAL, "timeout_ms -1 is negative");
    CHECK(status == 12345);
    CHECK_OK(mntns_child_kill(child, 0));
    CHECK_ERR(mntns_child_kill(child, 9999), EINVAL, "send signal 9999 to sandbox");
    /* The pidfd becomes readable when the sandbox ends. */
    CHECK_OK(mntns_child_pidfd(child, &pidfd));
    CHECK(pidfd >= 0 && fcntl(pidfd, F_GETFD) == FD_CLOEXEC);
    struct pollfd p = {.fd = pidfd, .events = POLLIN};
    CHECK(poll(&p, 1, 0) == 0);
    CHECK_OK(mntns_child_kill(child, SIGTERM));
    CHECK(poll(&p, 1, 10000) == 1);
    CHECK_OK(mntns_child_wait(child, &status));
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    char exited[64];
    snprintf(exited, sizeof exited, "process %d has exited", (int)pid);
    CHECK_ERR(mntns_child_kill(child, SIGTERM), ESRCH, exited);
    struct mntns_nsid id;
    CHECK_ERR(mntns_child_ns_id(child, MNTNS_KIND_MNT, &id), ESRCH, exited);
    mntns_child_free(child);

    /* NULL handles and outputs. */
    CHECK_ERR(mntns_child_pid(NULL, &pid), EINVAL, "mntns_child_pid: EINVAL (invalid argument; child is NULL)");
    CHECK_ERR(mntns_child_pidfd(NULL, &pidfd), EINVAL, "child is NULL");
    CHECK_ERR(mntns_child_wait(NULL, &status), EINVAL, "child is NULL");
    CHECK_ERR(mntns_child_try_wait(NULL, &status), EINVAL, "child is NULL");
    CHECK_ERR(mntns_child_wait_timeout(NULL, 0, &status), EINVAL, "child is NULL");
    CHECK_ERR(mntns_child_kill(NULL, SIGTERM), EINVAL, "child is NULL");
    CHECK_ERR(mntns_child_ns_id(NULL, MNTNS_KIND_MNT, &id), EINVAL, "child is NULL");
    mntns_child_free(NULL);
    child = spawn(sb, sleeper);
    CHECK_ERR(mntns_child_pid(child, NULL), EINVAL, "pid_out is NULL");
    CHECK_ERR(mntns_child_pidfd(child, NULL), EINVAL, "fd_out is NULL");
    CHECK_ERR(mntns_child_wait(child, NULL), EINVAL, "status_out is NULL");
    CHECK_ERR(mntns_child_try_wait(child, NULL), EINVAL, "status_out is NULL");
    CHECK_ERR(mntns_child_wait_timeout(child, 0, NULL), EINVAL, "status_out is NULL");
    CHECK_ERR(mntns_child_ns_id(child, MNTNS_KIND_MNT, NULL), EINVAL, "id_out is NULL");
    CHECK_ERR(mntns_child_ns_id(child, 3, &id), EINVAL, "kind 0x3 is not a namespace kind");
    mntns_child_free(child);
    mntns_sandbox_free(sb);
}

static int same_id(const struct mntns_nsid *a, const struct mntns_nsid *b) {
    return a->kind == b->kind && a->dev == b->dev && a->ino == b->ino;
}

/* The sandbox's namespaces are its own: different ids from the caller's for the kinds it
 * has, the same for the others; equal to what readlink shows. */
static void namespace_ids(const char *scratch) {
    (void)scratch;
    mntns_sandbox *sb = new_sandbox();
    CHECK_OK(mntns_sandbox_add_namespaces(sb, MNTNS_NS_UTS | MNTNS_NS_IPC));
    const char *sleeper[] = {"sleep", "100", NULL};
    mntns_child *child = spawn(sb, sleeper);
    struct mntns_nsid mine, theirs;
    const int own[] = {MNTNS_KIND_MNT, MNTNS_KIND_UTS, MNTNS_KIND_IPC};
    for (size_t i = 0; i < 3; i++) {
        CHECK_OK(mntns_ns_id(0, own[i], &mine));
        CHECK_OK(mntns_child_ns_id(child, own[i], &theirs));
        CHECK(theirs.kind == own[i] && !same_id(&mine, &theirs));
    }
    CHECK_OK(mntns_ns_id(0, MNTNS_KIND_NET, &mine));
    CHECK_OK(mntns_child_ns_id(child, MNTNS_KIND_NET, &theirs));
    CHECK(same_id(&mine, &theirs));
    /* What readlink /proc/PID/ns/mnt shows. */
    pid_t pid;
    CHECK_OK(mntns_child_pid(child, &pid));
    CHECK_OK(mntns_child_ns_id(child, MNTNS_KIND_MNT, &theirs));
    char link[64], want[64], got[MNTNS_NSID_FORMAT_MAX];
    snprintf(link, sizeof link, "/proc/%d/ns/mnt", (int)pid);
    ssize_t n = readlink(link, want, sizeof want - 1);
    CHECK(n > 0);
    want[n > 0 ? n : 0] = '\0';
    CHECK_OUT(id_text(&theirs, got, sizeof got), want);
    /* The user namespace: the sandbox's own as nobody, the caller's otherwise. */
    CHECK_OK(mntns_ns_id(0, MNTNS_KIND_USER, &mine));
    CHECK_OK(mntns_child_ns_id(child, MNTNS_KIND_USER, &theirs));
    CHECK(same_id(&mine, &theirs) == (geteuid() == 0));
    mntns_child_free(child);
    mntns_sandbox_free(sb);
}

static void *sleeper_thread(void *arg) {
    (void)arg;
    pause();
    return NULL;
}

/* _enter: the setup runs in the calling (single-threaded, forked) process. */
static void enter_in_forked_child(const char *scratch) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        mntns_sandbox *sb = NULL;
        CHECK_OK(mntns_sandbox_new(&sb));
        CHECK_OK(mntns_sandbox_add_tmpfs_options(sb, "/tmp/tmp1", "size=1m"));
        CHECK_OK(mntns_sandbox_set_hostname(sb, "entered"));
        struct mntns_nsid before, after;
        CHECK_OK(mntns_ns_id(0, MNTNS_KIND_MNT, &before));
        CHECK_OK(mntns_sandbox_enter(sb));
        mntns_sandbox_free(sb);
        CHECK_OK(mntns_ns_id(0, MNTNS_KIND_MNT, &after));
        CHECK(!same_id(&before, &after));
        char cwd[PATH_MAX], host[64];
        CHECK(is_tmpfs("/") && is_tmpfs("/tmp/tmp1") && is_tmpfs("/tmp"));
        CHECK(access("/usr/bin/sh", X_OK) == 0);
        CHECK(getcwd(cwd, sizeof cwd) != NULL && strcmp(cwd, "/") == 0);
        CHECK(gethostname(host, sizeof host) == 0 && strcmp(host, "entered") == 0);
        /* The old root is gone: the scratch directory of the host is not reachable. */
        CHECK(access(scratch, F_OK) < 0 && errno == ENOENT);
        fflush(NULL);
        _exit(failures ? 1 : 0);
    }
    CHECK(wait_child(pid) == 0);

    /* Refused with a reason in a multithreaded process (nothing changes), and for
     * sandboxes that need a parent. */
    mntns_sandbox *sb = NULL;
    CHECK_OK(mntns_sandbox_new(&sb));
    CHECK_OK(mntns_sandbox_set_id_maps(sb, "0 0 1", "0 0 1", 0, 0, 0));
    CHECK_ERR(mntns_sandbox_enter(sb), EINVAL, "this plan needs a parent while it runs");
    CHECK_OK(mntns_sandbox_set_auto_identity(sb));
    pthread_t t;
    CHECK(pthread_create(&t, NULL, sleeper_thread, NULL) == 0);
    struct mntns_nsid before, after;
    CHECK_OK(mntns_ns_id(0, MNTNS_KIND_MNT, &before));
    CHECK_ERR(mntns_sandbox_enter(sb), EINVAL, "the calling process has 2 threads");
    CHECK_OK(mntns_ns_id(0, MNTNS_KIND_MNT, &after));
    CHECK(same_id(&before, &after));
    mntns_sandbox_free(sb);
    /* The thread sleeps in pause() until the case process exits. */
    fflush(NULL);
    _exit(failures ? 1 : 0);
}

/* --- Threads ------------------------------------------------------------------------- */

static atomic_int stop_threads;
static atomic_long allocations;
static pthread_mutex_t busy_lock = PTHREAD_MUTEX_INITIALIZER;

/* Allocates and frees all the time, partly under a lock: a child that allocated or took a
 * lock between clone and exec would deadlock on the allocator's or this lock. */
static void *busy_thread(void *arg) {
    (void)arg;
    while (!atomic_load(&stop_threads)) {
        pthread_mutex_lock(&busy_lock);
        void *a = malloc(64 + (size_t)(atomic_load(&allocations) % 4096));
        memset(a, 1, 64);
        pthread_mutex_unlock(&busy_lock);
        void *b = malloc(100000);
        free(a);
        free(b);
        atomic_fetch_add(&allocations, 1);
    }
    return NULL;
}

static void busy_threads(const char *scratch) {
    (void)scratch;
    enum { THREADS = 8, SPAWNS = 200 };
    /* A small sandbox (the static busybox in an empty root) so that the spawns, not the
     * mounts, are what is repeated. */
    mntns_sandbox *sb = fresh_sandbox();
    CHECK_OK(mntns_sandbox_set_base(sb, MNTNS_BASE_BARE));
    CHECK_OK(mntns_sandbox_add_bind(sb, "/bin/busybox", "/busybox", MNTNS_MOUNT_RDONLY));
    CHECK_OK(mntns_sandbox_plan(sb));
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++)
        CHECK(pthread_create(&threads[i], NULL, busy_thread, NULL) == 0);
    const char *argv[] = {"/busybox", "true", NULL};
    /* valgrind runs one thread at a time, so eight busy threads make every spawn slow there:
     * fewer spawns under it (its run is for leaks; the sanitizer run does all of them). */
    const int spawns = under_valgrind() ? SPAWNS / 5 : SPAWNS;
    int ok = 0;
    long seen = atomic_load(&allocations);
    for (int i = 0; i < spawns; i++) {
        mntns_child *child;
        int status = -1;
        if (mntns_sandbox_spawn(sb, argv, &child) != 0) {
            fprintf(stderr, "    spawn %d: %s\n", i, mntns_last_error());
            failures++;
            break;
        }
        CHECK_OK(mntns_child_wait(child, &status));
        mntns_child_free(child);
        ok += WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    CHECK(ok == spawns);
    /* The threads kept running all along. */
    CHECK(atomic_load(&allocations) > seen);
    atomic_store(&stop_threads, 1);
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    mntns_sandbox_free(sb);
}

/* Only 0, 1, 2 and the passed descriptor reach the command, whatever the caller has open
 * without close-on-exec. */
static void fd_hygiene(const char *scratch) {
    (void)scratch;
    int leak = open("/dev/null", O_RDONLY); /* deliberately without O_CLOEXEC */
    CHECK(leak >= 0 && dup2(leak, 40) == 40);
    int p[2];
    CHECK(pipe(p) == 0); /* without O_CLOEXEC too */
    mntns_sandbox *sb = new_sandbox();
    CHECK_OK(mntns_sandbox_pass_fd(sb, p[1], 7));
    char out[256];
    /* `[ -e ]` is a builtin: the shell opens nothing while it looks. */
    sh(sb,
       "n=0; while [ $n -lt 256 ]; do [ -e /proc/$$/fd/$n ] && printf '%s ' $n; n=$((n+1)); done",
       out, sizeof out);
    CHECK_OUT(out, "0 1 2 7 ");
    /* The same in a sandbox with a PID namespace (its init forks the command). */
    CHECK_OK(mntns_sandbox_add_namespaces(sb, MNTNS_NS_PID));
    sh(sb,
       "n=0; while [ $n -lt 256 ]; do [ -e /proc/$$/fd/$n ] && printf '%s ' $n; n=$((n+1)); done",
       out, sizeof out);
    CHECK_OUT(out, "0 1 2 7 ");
    mntns_sandbox_free(sb);
    /* The caller's descriptors are as they were. */
    CHECK(fcntl(40, F_GETFD) == 0 && fcntl(p[1], F_GETFD) == 0 && fcntl(OUT_FD, F_GETFD) < 0);
    close(leak);
    close(40);
    close(p[0]);
    close(p[1]);
}

/* The plan is compiled once and reused until a setter changes the sandbox: the
 * environment, read when the plan is compiled, shows it. */
static void plan_is_cached(const char *scratch) {
    (void)scratch;
    setenv("MNTNS_CTEST_VAR", "first", 1);
    mntns_sandbox *sb = new_sandbox();
    char out[64];
    sh(sb, "echo $MNTNS_CTEST_VAR", out, sizeof out);
    CHECK_OUT(out, "first\n");
    setenv("MNTNS_CTEST_VAR", "second", 1);
    sh(sb, "echo $MNTNS_CTEST_VAR", out, sizeof out);
    CHECK_OUT(out, "first\n"); /* the cached plan */
    char *text = explain(sb);  /* explaining does not recompile either */
    free(text);
    sh(sb, "echo $MNTNS_CTEST_VAR", out, sizeof out);
    CHECK_OUT(out, "first\n");
    CHECK_OK(mntns_sandbox_set_cwd(sb, "/")); /* any setter drops it */
    sh(sb, "echo $MNTNS_CTEST_VAR", out, sizeof out);
    CHECK_OUT(out, "second\n");
    CHECK_OK(mntns_sandbox_set_hostname(sb, "cached"));
    setenv("MNTNS_CTEST_VAR", "third", 1);
    CHECK_OK(mntns_sandbox_plan(sb)); /* compiles now, after the change */
    CHECK_OK(mntns_sandbox_plan(sb)); /* and not again */
    setenv("MNTNS_CTEST_VAR", "fourth", 1);
    sh(sb, "echo $MNTNS_CTEST_VAR", out, sizeof out);
    CHECK_OUT(out, "third\n");
    mntns_sandbox_free(sb);
}

/* Started paused: set up, waiting before the command; the namespaces are readable however
 * short the command; resume runs it, or reports why it could not start. */
static void start_paused(const char *scratch) {
    (void)scratch;
    mntns_sandbox *sb = new_sandbox();
    CHECK_ERR(mntns_sandbox_set_start_paused(sb, 2), EINVAL, "yes");
    CHECK_OK(mntns_sandbox_set_start_paused(sb, 1));
    const char *quick[] = {"sh", "-c", "exit 6", NULL};
    mntns_child *child = spawn(sb, quick);
    int status = 0;
    CHECK(mntns_child_try_wait(child, &status) == -EAGAIN);
    struct mntns_nsid mine, theirs;
    CHECK_OK(mntns_ns_id(0, MNTNS_KIND_MNT, &mine));
    CHECK_OK(mntns_child_ns_id(child, MNTNS_KIND_MNT, &theirs));
    CHECK(!same_id(&mine, &theirs));
    CHECK_OK(mntns_child_resume(child));
    CHECK_OK(mntns_child_resume(child)); /* not paused any more: nothing to do */
    CHECK_OK(mntns_child_wait(child, &status));
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 6);
    mntns_child_free(child);
    const char *missing[] = {"no-such-command", NULL};
    child = spawn(sb, missing);
    CHECK_ERR(mntns_child_resume(child), ENOENT, "exec no-such-command");
    mntns_child_free(child);
    CHECK_ERR(mntns_child_resume(NULL), EINVAL, "child");
    mntns_sandbox_free(sb);
}

int main(void) {
    RUN(start_paused, ALL);
    RUN(spawn_default_root, ALL);
    RUN(exit_statuses, ALL);
    RUN(mounts_setters, ALL);
    RUN(process_setters, ALL);
    RUN(stdio_setters, ALL);
    RUN(identity_setters, ALL);
    RUN(root_setters, ALL);
    RUN(explain_setters, MODE_PLAIN | ALL);
    RUN(setter_refusals, MODE_PLAIN);
    RUN(planning_refusals, MODE_PLAIN | MODE_NOBODY);
    RUN(non_utf8_paths, ALL);
    RUN(missing_command, ALL);
    RUN(setup_failure, ALL);
    RUN(free_kills_running_child, ALL);
    RUN(pid_namespace_status, ALL);
    RUN(kill_and_wait, ALL);
    RUN(namespace_ids, ALL);
    RUN(enter_in_forked_child, ALL);
    RUN(busy_threads, ALL);
    RUN(fd_hygiene, ALL);
    RUN(plan_is_cached, ALL);
    return summary("sandbox");
}
