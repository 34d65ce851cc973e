/*
 * The classic mount-namespace walkthrough in C, one libmntns call per step:
 *
 *   unshare -m                                   # own mount namespace
 *   mount -o size=1m -t tmpfs tmpfs /tmp/tmp1    # a tmpfs only this namespace sees
 *   mount | grep tmp1                            # read the mount table
 *   readlink /proc/$$/ns/mnt                     # -> mnt:[4026532211]
 *   tar -C new-root -xf root.tar                 # a root (here: a static busybox)
 *   pivot_root . old-root; <command>             # switch root, run something
 *   lsns                                         # find it again from the host
 *
 * Run it as root or as an ordinary user (it then creates a user namespace first, mapping
 * you to root inside, as unshare -Urm does):
 *
 *   cc walkthrough.c $(pkg-config --cflags --libs mntns) -o walkthrough && ./walkthrough
 *
 * Everything happens in a forked child in its own namespaces; the host's mount table is not
 * touched. The only host-side trace is a temporary directory, removed at the end.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <mntns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Busybox applets the example's root gets (as symlinks to the static busybox). */
static const char *const APPLETS[] = {"sh", "ls", "cat", "echo", "pwd", "mount", "df", "readlink"};

static void step(const char *what) {
    printf("$ %s\n", what);
    fflush(stdout);
}

/* Reports the last libmntns error (or errno for plain libc calls) and returns 1. */
static int fail(const char *what) {
    fprintf(stderr, "walkthrough: %s: %s\n", what, mntns_last_error());
    return 1;
}

static int fail_errno(const char *what, const char *path) {
    fprintf(stderr, "walkthrough: %s %s: %s\n", what, path, strerror(errno));
    return 1;
}

static void path_join(char *out, size_t len, const char *a, const char *b) {
    snprintf(out, len, "%s/%s", a, b);
}

/* The names in a directory, sorted, space-separated. */
static void list_dir(const char *path) {
    struct dirent **names;
    int n = scandir(path, &names, NULL, alphasort), shown = 0;
    printf("        %s holds:", path);
    for (int i = 0; i < n; i++) {
        if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, "..")) {
            printf(" %s", names[i]->d_name);
            shown++;
        }
        free(names[i]);
    }
    if (n >= 0)
        free(names);
    printf("%s\n", shown ? "" : " (nothing)");
}

/* Whether `path` is an ELF64 executable without PT_INTERP: it needs no dynamic loader
 * and runs in an otherwise empty root. */
static int is_static_executable(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC), result = 0;
    Elf64_Ehdr eh;
    if (fd < 0)
        return 0;
    if (pread(fd, &eh, sizeof eh, 0) == sizeof eh && memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 &&
        eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_type == ET_EXEC) {
        result = 1;
        for (int i = 0; i < eh.e_phnum; i++) {
            Elf64_Phdr ph;
            off_t at = (off_t)(eh.e_phoff + (Elf64_Off)i * eh.e_phentsize);
            if (pread(fd, &ph, sizeof ph, at) != sizeof ph || ph.p_type == PT_INTERP)
                result = 0;
        }
    }
    close(fd);
    return result;
}

static int copy_file(const char *from, const char *to, mode_t mode) {
    char buf[65536];
    ssize_t n;
    int in = open(from, O_RDONLY | O_CLOEXEC);
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (in < 0 || out < 0)
        return -1;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n)
            return -1;
    close(in);
    return close(out);
}

/* Fills the new root: /bin/busybox with applet links when the host has a static busybox,
 * else a read-only bind of the host's /usr with the usual bin/lib links. */
static int populate_root(const char *root) {
    char bin[4096], path[4096];
    path_join(bin, sizeof bin, root, "bin");
    if (is_static_executable("/bin/busybox")) {
        if (mkdir(bin, 0755) < 0)
            return fail_errno("mkdir", bin);
        path_join(path, sizeof path, bin, "busybox");
        if (copy_file("/bin/busybox", path, 0755) < 0)
            return fail_errno("copy busybox to", path);
        for (size_t i = 0; i < sizeof APPLETS / sizeof APPLETS[0]; i++) {
            path_join(path, sizeof path, bin, APPLETS[i]);
            if (symlink("busybox", path) < 0)
                return fail_errno("symlink", path);
        }
        printf("        /bin/busybox (static) and %zu applets\n", sizeof APPLETS / sizeof APPLETS[0]);
        return 0;
    }
    path_join(path, sizeof path, root, "usr");
    if (mkdir(path, 0755) < 0)
        return fail_errno("mkdir", path);
    if (mntns_bind("/usr", path, MNTNS_BIND_RECURSIVE | MNTNS_MOUNT_RDONLY) < 0)
        return fail("bind /usr");
    static const char *const LINKS[] = {"bin", "lib", "lib64", "sbin"};
    for (size_t i = 0; i < sizeof LINKS / sizeof LINKS[0]; i++) {
        char host[64], target[4096];
        snprintf(host, sizeof host, "/%s", LINKS[i]);
        ssize_t n = readlink(host, target, sizeof target - 1);
        if (n <= 0)
            continue;
        target[n] = '\0';
        path_join(path, sizeof path, root, LINKS[i]);
        if (symlink(target, path) < 0)
            return fail_errno("symlink", path);
    }
    printf("        the host's /usr (read-only) and its bin/lib links\n");
    return 0;
}

/* What the child does: every step of the walkthrough, in its own namespaces. */
static int child(const char *work, const char *parent_id, int ready, int go) {
    char tmp1[4096], new_root[4096], path[4096], text[MNTNS_NSID_FORMAT_MAX];

    /* 1. unshare -m (and -U with a map of ourselves to root when we are not root). */
    if (geteuid() == 0) {
        step("unshare -m");
        if (mntns_unshare(MNTNS_NS_MOUNT) < 0)
            return fail("unshare");
    } else {
        step("unshare -Urm   (not root: a user namespace maps you to root)");
        if (mntns_unshare_rootless(MNTNS_NS_MOUNT) < 0)
            return fail("unshare");
    }
    /* unshare(1) makes every mount private by default; so do we, so nothing propagates. */
    if (mntns_set_propagation("/", MNTNS_PROPAGATION_PRIVATE, 1) < 0)
        return fail("make / rprivate");

    /* 2. mount -o size=1m -t tmpfs tmpfs tmp1 */
    path_join(tmp1, sizeof tmp1, work, "tmp1");
    if (mkdir(tmp1, 0755) < 0)
        return fail_errno("mkdir", tmp1);
    printf("$ mount -o size=1m -t tmpfs tmpfs %s\n", tmp1);
    struct mntns_tmpfs_opts opts;
    mntns_tmpfs_opts_init(&opts);
    if (mntns_parse_size("1m", &opts.size_bytes) < 0 || mntns_mount_tmpfs(tmp1, &opts) < 0)
        return fail("mount tmpfs");

    /* 3. mount | grep tmp1: the mount's own options, then the filesystem's (without rw). */
    step("mount | grep tmp1");
    mntns_mounts *table;
    if (mntns_mounts_read(0, &table) < 0)
        return fail("read the mount table");
    for (size_t i = 0; i < mntns_mounts_count(table); i++) {
        struct mntns_mount m;
        if (mntns_mounts_get(table, i, &m) < 0 || strcmp(m.target, tmp1) != 0)
            continue;
        const char *fs = m.super_options;
        if (strncmp(fs, "rw,", 3) == 0 || strncmp(fs, "ro,", 3) == 0)
            fs += 3;
        printf("        %s on %s type %s (%s,%s)\n", m.source ? m.source : "none", m.target,
               m.fstype, m.options, fs);
    }
    mntns_mounts_free(table);

    /* 4. readlink /proc/$$/ns/mnt, next to the parent's. */
    step("readlink /proc/$$/ns/mnt");
    struct mntns_nsid id;
    if (mntns_ns_id(0, MNTNS_KIND_MNT, &id) < 0 || mntns_nsid_format(&id, text, sizeof text) < 0)
        return fail("namespace id");
    printf("        child:  %s\n        parent: %s\n", text, parent_id);
    fflush(stdout);
    char byte = 'r';
    if (write(ready, &byte, 1) != 1 || read(go, &byte, 1) < 0)
        return fail_errno("talk to parent", "");

    /* 5. A new root: a tmpfs holding a static busybox (or the host's /usr), and an empty
     *    old-root directory. */
    path_join(new_root, sizeof new_root, work, "new-root");
    if (mkdir(new_root, 0755) < 0)
        return fail_errno("mkdir", new_root);
    printf("$ mount -t tmpfs tmpfs %s; populate it\n", new_root);
    if (mntns_mount_tmpfs_options(new_root, "size=16m,mode=755") < 0)
        return fail("mount the new root");
    if (populate_root(new_root) != 0)
        return 1;
    path_join(path, sizeof path, new_root, "old-root");
    if (mkdir(path, 0700) < 0)
        return fail_errno("mkdir", path);

    /* 6. pivot_root . old-root, then let the old root go. */
    step("cd new-root; pivot_root . old-root");
    if (mntns_pivot_root(new_root, "old-root") < 0)
        return fail("pivot_root");
    list_dir("/");
    step("umount -l /old-root");
    if (mntns_unmount("/old-root", MNTNS_UNMOUNT_DETACH) < 0)
        return fail("unmount the old root");
    list_dir("/old-root");

    /* 7. Run a command in the new root. */
    const char *command = "echo hello from $(pwd) in a root of: $(ls /)";
    printf("$ /bin/sh -c '%s'\n", command);
    fflush(stdout);
    char *const argv[] = {"sh", "-c", (char *)command, NULL};
    char *const envp[] = {"PATH=/bin:/usr/bin", NULL};
    execve("/bin/sh", argv, envp);
    return fail_errno("exec", "/bin/sh");
}

/* What the parent ("the host") does: wait until the child has its namespace, find it with
 * the lsns view, let the child finish, and report its exit status. */
static int host_side(pid_t pid, int ready, int go) {
    char byte;
    if (read(ready, &byte, 1) == 1) {
        struct mntns_nsid id;
        char text[MNTNS_NSID_FORMAT_MAX];
        if (mntns_ns_id(pid, MNTNS_KIND_MNT, &id) == 0) {
            step("lsns -t mnt   (from the host)");
            mntns_namespaces *list;
            if (mntns_namespaces_list(MNTNS_KIND_MNT, &list) == 0) {
                for (size_t i = 0; i < mntns_namespaces_count(list); i++) {
                    struct mntns_namespace_info ns;
                    if (mntns_namespaces_get(list, i, &ns) != 0 || ns.id.ino != id.ino ||
                        ns.id.dev != id.dev)
                        continue;
                    mntns_nsid_format(&ns.id, text, sizeof text);
                    printf("        %s  nprocs=%zu  pid=%d  command=%s\n", text, ns.nprocs,
                           (int)ns.pid, ns.command ? ns.command : "-");
                }
                mntns_namespaces_free(list);
            } else {
                printf("        (cannot list: %s)\n", mntns_last_error());
            }
            /* The host's own table does not have the child's tmpfs. */
            mntns_mounts *table;
            int seen = 0;
            if (mntns_mounts_read(0, &table) == 0) {
                for (size_t i = 0; i < mntns_mounts_count(table); i++) {
                    struct mntns_mount m;
                    size_t len;
                    if (mntns_mounts_get(table, i, &m) == 0 && (len = strlen(m.target)) >= 5 &&
                        strcmp(m.target + len - 5, "/tmp1") == 0)
                        seen = 1;
                }
                mntns_mounts_free(table);
                printf("        host sees tmp1 mounted: %s\n", seen ? "yes" : "no");
            }
        } else {
            printf("        (child namespace not visible: %s)\n", mntns_last_error());
        }
        fflush(stdout);
    }
    byte = 'g';
    if (write(go, &byte, 1) != 1)
        perror("walkthrough: write");
    close(go);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(void) {
    char work[] = "/tmp/mntns-walkthrough-XXXXXX", parent_id[MNTNS_NSID_FORMAT_MAX] = "?";
    if (mkdtemp(work) == NULL) {
        perror("walkthrough: mkdtemp");
        return 1;
    }
    /* The parent's id, read here: a child in a user namespace may not look at its parent. */
    struct mntns_nsid id;
    if (mntns_ns_id(0, MNTNS_KIND_MNT, &id) == 0)
        mntns_nsid_format(&id, parent_id, sizeof parent_id);
    /* Two pipes: the child says "ready" once its namespace is set up, so the parent can find
     * it with the lsns view; the parent then says "go on". */
    int ready[2], go[2];
    if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0) {
        perror("walkthrough: pipe2");
        return 1;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("walkthrough: fork");
        return 1;
    }
    if (pid == 0) {
        close(ready[0]);
        close(go[1]);
        int code = child(work, parent_id, ready[1], go[0]);
        fflush(NULL);
        _exit(code); /* never the parent's exit handlers */
    }
    close(ready[1]);
    close(go[0]);
    int code = host_side(pid, ready[0], go[1]);
    char rm[128];
    snprintf(rm, sizeof rm, "rm -rf '%s'", work);
    if (system(rm) != 0)
        fprintf(stderr, "walkthrough: could not remove %s\n", work);
    return code;
}
