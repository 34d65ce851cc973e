/*
 * Mount tables from C: our own (compared with /proc/self/mountinfo), another process's, a
 * namespace held only by a descriptor, and the refusals.
 */
#include "check.h"

#include <sys/sysmacros.h>

/* The number of lines of a mountinfo file. */
static size_t mountinfo_lines(const char *path) {
    char *text = read_file(path);
    size_t n = 0;
    for (char *p = text; p && *p; p++)
        n += *p == '\n';
    free(text);
    return n;
}

/* Index of the (last) mount with this target, or -1. */
static long find_target(mntns_mounts *table, const char *target, struct mntns_mount *out) {
    long at = -1;
    for (size_t i = 0; i < mntns_mounts_count(table); i++) {
        struct mntns_mount m;
        CHECK_OK(mntns_mounts_get(table, i, &m));
        if (strcmp(m.target, target) == 0) {
            *out = m;
            at = (long)i;
        }
    }
    return at;
}

static void own_table(const char *scratch) {
    char dir[PATH_MAX];
    join(dir, sizeof dir, scratch, "t");
    make_dir(dir);
    CHECK_OK(mntns_mount_tmpfs_options(dir, "size=1m,mode=750"));
    CHECK_OK(mntns_set_propagation(dir, MNTNS_PROPAGATION_SHARED, 0));

    mntns_mounts *table = NULL;
    CHECK_OK(mntns_mounts_read(0, &table));
    size_t n = mntns_mounts_count(table);
    CHECK(n == mountinfo_lines("/proc/thread-self/mountinfo"));
    struct mntns_mount m;
    long at = find_target(table, dir, &m);
    CHECK(at >= 0);
    if (at >= 0) {
        struct stat st;
        CHECK(stat(dir, &st) == 0);
        CHECK(strcmp(m.fstype, "tmpfs") == 0);
        CHECK(m.source != NULL && strcmp(m.source, "tmpfs") == 0);
        CHECK(strcmp(m.root, "/") == 0);
        CHECK(strncmp(m.options, "rw", 2) == 0);
        CHECK(strstr(m.super_options, "size=1024k") != NULL && strstr(m.super_options, "mode=750") != NULL);
        CHECK(m.major == major(st.st_dev) && m.minor == minor(st.st_dev));
        CHECK(m.id != 0 && m.shared != 0 && m.master == 0 && m.unbindable == 0);
        /* Its parent is in the table, before it. */
        int parent_found = 0;
        for (long i = 0; i < at; i++) {
            struct mntns_mount p;
            CHECK_OK(mntns_mounts_get(table, (size_t)i, &p));
            if (p.id == m.parent_id) {
                parent_found = 1;
                CHECK(m.parent_unique_id == p.unique_id);
            }
        }
        CHECK(parent_found);
    }
    /* Either the statmount backend gave every mount a 64-bit id, or mountinfo none. */
    size_t with_unique = 0;
    for (size_t i = 0; i < n; i++) {
        struct mntns_mount e;
        CHECK_OK(mntns_mounts_get(table, i, &e));
        with_unique += e.unique_id != 0;
        CHECK(e.root != NULL && e.target != NULL && e.fstype != NULL && e.options != NULL &&
              e.super_options != NULL);
    }
    CHECK(with_unique == 0 || with_unique == n);
    /* Reading by our own pid gives the same mounts. */
    mntns_mounts *by_pid = NULL;
    CHECK_OK(mntns_mounts_read(getpid(), &by_pid));
    CHECK(mntns_mounts_count(by_pid) == n);
    struct mntns_mount m2;
    CHECK(find_target(by_pid, dir, &m2) >= 0 && m2.id == m.id);
    mntns_mounts_free(by_pid);
    mntns_mounts_free(table);
}

static void mount_helper(void *arg) {
    if (unshare(CLONE_NEWNS) < 0)
        helper_die("unshare mnt");
    if (mount("tmpfs", arg, "tmpfs", 0, "size=64k") < 0)
        helper_die("mount tmpfs");
}

/* Another process's table, and the table of a namespace only our descriptor holds. */
static void other_tables(const char *scratch) {
    char dir[PATH_MAX];
    join(dir, sizeof dir, scratch, "c");
    make_dir(dir);
    struct helper h = start_helper(mount_helper, dir);
    struct mntns_mount m;

    mntns_mounts *mine = NULL, *theirs = NULL, *held = NULL;
    CHECK_OK(mntns_mounts_read(0, &mine));
    CHECK(find_target(mine, dir, &m) < 0);
    CHECK_OK(mntns_mounts_read(h.pid, &theirs));
    CHECK(find_target(theirs, dir, &m) >= 0 && strcmp(m.fstype, "tmpfs") == 0);
    CHECK(strstr(m.super_options, "size=64k") != NULL);
    int nsfd = -1;
    CHECK_OK(mntns_ns_open(h.pid, MNTNS_KIND_MNT, &nsfd));
    CHECK(stop_helper(h) == 0);

    /* The helper is gone; the namespace lives on through nsfd. */
    CHECK_ERR(mntns_mounts_read(h.pid, &held), ESRCH, "has exited");
    CHECK(held == NULL);
    CHECK_OK(mntns_mounts_of_namespace_fd(nsfd, &held));
    CHECK(find_target(held, dir, &m) >= 0 && strcmp(m.fstype, "tmpfs") == 0);
    CHECK(mntns_mounts_count(held) == mntns_mounts_count(theirs));
    close(nsfd);
    mntns_mounts_free(held);
    mntns_mounts_free(theirs);
    mntns_mounts_free(mine);
}

static void table_refusals(const char *scratch) {
    char file[PATH_MAX];
    join(file, sizeof file, scratch, "f");
    int fd = open(file, O_CREAT | O_RDWR | O_CLOEXEC, 0644);
    mntns_mounts *t = (mntns_mounts *)&fd;
    CHECK_ERR(mntns_mounts_read(-2, &t), EINVAL, "-2 is not a process id");
    CHECK_ERR(mntns_mounts_of_namespace_fd(-1, &t), EBADF, "fd -1 is not an open file descriptor");
    CHECK_ERR(mntns_mounts_of_namespace_fd(fd, &t), EINVAL, "not a namespace file");
    int uts = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
    CHECK_ERR(mntns_mounts_of_namespace_fd(uts, &t), EINVAL, "is not a mount namespace");
    CHECK(t == (mntns_mounts *)&fd);
    close(uts);
    close(fd);
    /* Out-of-range indexes never read past the table. */
    CHECK_OK(mntns_mounts_read(0, &t));
    struct mntns_mount m;
    memset(&m, 0x5a, sizeof m);
    size_t n = mntns_mounts_count(t);
    CHECK_ERR(mntns_mounts_get(t, n, &m), ERANGE, "past the end of a table of");
    CHECK(m.id == 0x5a5a5a5a);
    mntns_mounts_free(t);
}

/* The same table from each source: statmount's records carry the 64-bit unique ids,
 * mountinfo's do not; an unknown source is refused. */
static void table_sources(const char *scratch) {
    (void)scratch;
    mntns_mounts *st = NULL, *mi = NULL, *by_ns = NULL;
    int rc = mntns_mounts_read_from(0, MNTNS_TABLE_STATMOUNT, &st);
    if (rc == -ENOSYS) {
        /* valgrind 3.19 does not know statmount(2); the AddressSanitizer run compares. */
        CHECK(strstr(mntns_last_error(), "ENOSYS") != NULL);
        CHECK_OK(mntns_mounts_read_from(0, MNTNS_TABLE_MOUNTINFO, &mi));
        mntns_mounts_free(mi);
        return;
    }
    CHECK_OK(rc);
    CHECK_OK(mntns_mounts_read_from(0, MNTNS_TABLE_MOUNTINFO, &mi));
    CHECK(mntns_mounts_count(st) == mntns_mounts_count(mi));
    struct mntns_mount a, b;
    CHECK_OK(mntns_mounts_get(st, 0, &a));
    CHECK_OK(mntns_mounts_get(mi, 0, &b));
    CHECK(a.unique_id != 0 && b.unique_id == 0);
    int fd = open("/proc/thread-self/ns/mnt", O_RDONLY | O_CLOEXEC);
    CHECK(fd >= 0);
    CHECK_OK(mntns_mounts_of_namespace_fd_from(fd, MNTNS_TABLE_MOUNTINFO, &by_ns));
    CHECK(mntns_mounts_count(by_ns) == mntns_mounts_count(mi));
    mntns_mounts *none = NULL;
    CHECK_ERR(mntns_mounts_read_from(0, 9, &none), EINVAL, "MNTNS_TABLE_AUTO");
    CHECK_ERR(mntns_mounts_of_namespace_fd_from(fd, 0, &none), EINVAL, "MNTNS_TABLE_AUTO");
    CHECK(none == NULL);
    close(fd);
    mntns_mounts_free(st);
    mntns_mounts_free(mi);
    mntns_mounts_free(by_ns);
}

int main(void) {
    RUN(table_sources, BOTH);
    RUN(own_table, BOTH);
    RUN(other_tables, BOTH);
    RUN(table_refusals, MODE_PLAIN);
    return summary("table");
}
