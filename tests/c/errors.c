/*
 * The conventions every function follows: NULL arguments give -EINVAL with a message
 * naming the argument and leave every output untouched; unknown flag bits are refused,
 * never ignored; mntns_last_error() is this thread's message, "" before any failure, kept
 * by successful calls, and independent between threads.
 */
#include "check.h"

#include <pthread.h>

#define SENTINEL_FD 12345
#define SENTINEL_U64 0x5a5a5a5a5a5a5a5aULL

/* Every function, called with each pointer argument NULL in turn. */
static void null_arguments(const char *scratch) {
    (void)scratch;
    struct mntns_nsid id, id_copy;
    memset(&id, 0, sizeof id); /* padding included, for memcmp below */
    id.kind = MNTNS_KIND_MNT;
    id.dev = 1;
    id.ino = 2;
    memcpy(&id_copy, &id, sizeof id);
    int fd = SENTINEL_FD;
    uint64_t u64 = SENTINEL_U64;
    uint32_t u32 = 7;
    char buf[MNTNS_NSID_FORMAT_MAX];
    memset(buf, 'x', sizeof buf);
    int nsfd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
    CHECK(nsfd >= 0);

    CHECK_ERR(mntns_enter_path(NULL, 0), EINVAL, "mntns_enter_path: EINVAL (invalid argument; path is NULL)");
    CHECK_ERR(mntns_ns_id(0, MNTNS_KIND_MNT, NULL), EINVAL, "id_out is NULL");
    CHECK_ERR(mntns_ns_id_fd(nsfd, NULL), EINVAL, "id_out is NULL");
    CHECK_ERR(mntns_ns_id_path(NULL, &id), EINVAL, "path is NULL");
    CHECK_ERR(mntns_ns_id_path("/proc/self/ns/mnt", NULL), EINVAL, "id_out is NULL");
    CHECK_ERR(mntns_ns_id_pidfd(nsfd, MNTNS_KIND_MNT, NULL), EINVAL, "id_out is NULL");
    CHECK_ERR(mntns_nsid_format(NULL, buf, sizeof buf), EINVAL, "id is NULL");
    CHECK_ERR(mntns_nsid_format(&id, NULL, 5), EINVAL, "buf is NULL but len is 5");
    CHECK_ERR(mntns_nsid_parse(NULL, &id), EINVAL, "text is NULL");
    CHECK_ERR(mntns_nsid_parse("mnt:[1]", NULL), EINVAL, "id_out is NULL");
    CHECK_ERR(mntns_ns_open(0, MNTNS_KIND_MNT, NULL), EINVAL, "fd_out is NULL");
    CHECK_ERR(mntns_ns_find(NULL, &fd), EINVAL, "mntns_ns_find: EINVAL (invalid argument; id is NULL)");
    CHECK_ERR(mntns_ns_find(&id, NULL), EINVAL, "fd_out is NULL");
    CHECK_ERR(mntns_ns_owner(nsfd, NULL), EINVAL, "fd_out is NULL");
    CHECK_ERR(mntns_ns_parent(nsfd, NULL), EINVAL, "fd_out is NULL");
    CHECK_ERR(mntns_ns_kernel_id(nsfd, NULL), EINVAL, "id_out is NULL");
    CHECK_ERR(mntns_ns_owner_uid(nsfd, NULL), EINVAL, "uid_out is NULL");

    mntns_namespaces *list = (mntns_namespaces *)&fd; /* must stay as it is */
    struct mntns_namespace_info info;
    memset(&info, 0x5a, sizeof info);
    struct mntns_namespace_info info_copy;
    memcpy(&info_copy, &info, sizeof info);
    CHECK_ERR(mntns_namespaces_list(0, NULL), EINVAL, "list_out is NULL");
    CHECK(mntns_namespaces_count(NULL) == 0);
    CHECK(strstr(mntns_last_error(), "mntns_namespaces_count: EINVAL") != NULL);
    CHECK_ERR(mntns_namespaces_get(NULL, 0, &info), EINVAL, "list is NULL");
    CHECK_ERR(mntns_namespaces_open(NULL, 0, &fd), EINVAL, "list is NULL");
    mntns_namespaces_free(NULL);
    CHECK_OK(mntns_namespaces_list(MNTNS_KIND_TIME, &list));
    CHECK_ERR(mntns_namespaces_get(list, 0, NULL), EINVAL, "info_out is NULL");
    CHECK_ERR(mntns_namespaces_open(list, 0, NULL), EINVAL, "fd_out is NULL");
    mntns_namespaces_free(list);

    struct mntns_tmpfs_opts opts;
    CHECK_OK(mntns_tmpfs_opts_init(&opts));
    CHECK_ERR(mntns_tmpfs_opts_init(NULL), EINVAL, "opts is NULL");
    CHECK_ERR(mntns_mount_tmpfs(NULL, &opts), EINVAL, "target is NULL");
    CHECK_ERR(mntns_mount_tmpfs("/tmp", NULL), EINVAL, "opts is NULL");
    CHECK_ERR(mntns_mount_tmpfs_options(NULL, ""), EINVAL, "target is NULL");
    CHECK_ERR(mntns_mount_tmpfs_options("/tmp", NULL), EINVAL, "options is NULL");
    CHECK_ERR(mntns_parse_size(NULL, &u64), EINVAL, "text is NULL");
    CHECK_ERR(mntns_parse_size("1m", NULL), EINVAL, "bytes_out is NULL");
    CHECK_ERR(mntns_bind(NULL, "/tmp", 0), EINVAL, "source is NULL");
    CHECK_ERR(mntns_bind("/tmp", NULL, 0), EINVAL, "target is NULL");
    CHECK_ERR(mntns_set_mount_flags(NULL, 0, 0, 0), EINVAL, "path is NULL");
    CHECK_ERR(mntns_set_propagation(NULL, MNTNS_PROPAGATION_PRIVATE, 0), EINVAL, "path is NULL");
    CHECK_ERR(mntns_unmount(NULL, 0), EINVAL, "path is NULL");
    CHECK_ERR(mntns_pivot_root(NULL, NULL), EINVAL, "new_root is NULL");

    mntns_mounts *table = (mntns_mounts *)&fd;
    struct mntns_mount m;
    memset(&m, 0x5a, sizeof m);
    struct mntns_mount m_copy;
    memcpy(&m_copy, &m, sizeof m);
    CHECK_ERR(mntns_mounts_read(0, NULL), EINVAL, "table_out is NULL");
    CHECK_ERR(mntns_mounts_of_namespace_fd(nsfd, NULL), EINVAL, "table_out is NULL");
    CHECK(mntns_mounts_count(NULL) == 0);
    CHECK(strstr(mntns_last_error(), "mntns_mounts_count: EINVAL (invalid argument; table is NULL)") != NULL);
    CHECK_ERR(mntns_mounts_get(NULL, 0, &m), EINVAL, "table is NULL");
    mntns_mounts_free(NULL);
    CHECK_OK(mntns_mounts_read(0, &table));
    CHECK_ERR(mntns_mounts_get(table, 0, NULL), EINVAL, "mount_out is NULL");
    mntns_mounts_free(table);

    /* Outputs are written only on success. */
    CHECK(memcmp(&id, &id_copy, sizeof id) == 0);
    CHECK(fd == SENTINEL_FD);
    CHECK(u64 == SENTINEL_U64);
    CHECK(u32 == 7);
    CHECK(memcmp(&info, &info_copy, sizeof info) == 0);
    CHECK(memcmp(&m, &m_copy, sizeof m) == 0);
    for (size_t i = 0; i < sizeof buf; i++)
        CHECK(buf[i] == 'x');
    close(nsfd);
}

/* Unknown bits in any flag argument are refused before any system call. */
static void unknown_flag_bits(const char *scratch) {
    char path[PATH_MAX];
    join(path, sizeof path, scratch, "x");
    make_dir(path);
    CHECK_ERR(mntns_unshare(MNTNS_NS_MOUNT | 0x1), EINVAL, "unknown flag bits 0x1 in 0x20001");
    CHECK_ERR(mntns_unshare(0x100 /* CLONE_VM */), EINVAL, "unknown flag bits 0x100");
    CHECK_ERR(mntns_unshare_rootless(MNTNS_NS_MOUNT | 0x4), EINVAL, "unknown flag bits 0x4");
    CHECK_ERR(mntns_enter_pid(getpid(), MNTNS_NS_UTS | 0x2), EINVAL, "unknown flag bits 0x2");
    CHECK_ERR(mntns_enter_pidfd(0, MNTNS_NS_UTS | 0x2), EINVAL, "unknown flag bits 0x2");
    CHECK_ERR(mntns_enter_fd(0, 0x8), EINVAL, "unknown flag bits 0x8");
    CHECK_ERR(mntns_enter_path("/proc/self/ns/uts", 0x8), EINVAL, "unknown flag bits 0x8");
    CHECK_ERR(mntns_bind(path, path, 1ULL << 40), EINVAL, "unknown flag bits 0x10000000000");
    CHECK_ERR(mntns_bind(path, path, MNTNS_TMPFS_NOSWAP), EINVAL, "unknown flag bits 0x100000000");
    CHECK_ERR(mntns_set_mount_flags(path, 16 /* MS_SYNCHRONOUS */, 0, 0), EINVAL, "unknown flag bits 0x10");
    CHECK_ERR(mntns_set_mount_flags(path, 0, MNTNS_BIND_RECURSIVE, 0), EINVAL, "unknown flag bits");
    CHECK_ERR(mntns_set_mount_flags(path, 0, 0, 2), EINVAL, "recursive must be 0 or 1, not 2");
    CHECK_ERR(mntns_set_propagation(path, 0, 0), EINVAL, "propagation 0x0 is not one of");
    CHECK_ERR(mntns_set_propagation(path, MNTNS_PROPAGATION_PRIVATE | MNTNS_PROPAGATION_SHARED, 0), EINVAL, "is not one of");
    CHECK_ERR(mntns_set_propagation(path, -1, 0), EINVAL, "is not one of");
    CHECK_ERR(mntns_set_propagation(path, MNTNS_PROPAGATION_PRIVATE, -1), EINVAL, "recursive must be 0 or 1, not -1");
    CHECK_ERR(mntns_unmount(path, 1 << 10), EINVAL, "unknown flag bits 0x400");
    struct mntns_tmpfs_opts opts;
    mntns_tmpfs_opts_init(&opts);
    opts.flags = MNTNS_BIND_RECURSIVE;
    CHECK_ERR(mntns_mount_tmpfs(path, &opts), EINVAL, "unknown flag bits 0x200000000");
    CHECK_ERR(mntns_ns_id(0, 0, &(struct mntns_nsid){0}), EINVAL, "0x0 is not a namespace kind");
    CHECK_ERR(mntns_ns_id(0, MNTNS_KIND_MNT | MNTNS_KIND_UTS, &(struct mntns_nsid){0}), EINVAL,
              "is not a namespace kind");
    CHECK_ERR(mntns_namespaces_list(3, &(mntns_namespaces *){NULL}), EINVAL, "kind 0x3 is not a namespace kind");
    /* Nothing was mounted on the way. */
    struct statfs sfs;
    CHECK(statfs(path, &sfs) == 0 && sfs.f_type != 0x01021994 /* TMPFS_MAGIC */);
}

/* The message: "" before any failure, the failure's line after, kept by successes. */
static void last_error_lifetime(const char *scratch) {
    (void)scratch;
    const char *first = mntns_last_error();
    CHECK(first != NULL && strcmp(first, "") == 0);
    uint64_t bytes;
    CHECK_ERR(mntns_parse_size("1.5m", &bytes), EINVAL, "tmpfs size: EINVAL (invalid argument; \"1.5m\" is not a valid size");
    const char *msg = mntns_last_error();
    char copy[512];
    snprintf(copy, sizeof copy, "%s", msg);
    /* Successful calls leave it alone, and the pointer stays valid. */
    CHECK_OK(mntns_parse_size("1m", &bytes));
    CHECK(bytes == 1048576);
    struct mntns_nsid id;
    CHECK_OK(mntns_ns_id(0, MNTNS_KIND_MNT, &id));
    CHECK(strcmp(msg, copy) == 0);
    CHECK(mntns_last_error() == msg);
    /* The next failure replaces it. */
    CHECK_ERR(mntns_mount_tmpfs_options("/nonexistent-mntns-dir", "size=1m"), ENOENT,
              "mount tmpfs on /nonexistent-mntns-dir: ENOENT (no such file or directory");
    CHECK(strstr(mntns_last_error(), "1.5m") == NULL);
    /* Errors from the kernel carry step, path, errno name, description and a hint. */
    CHECK(strstr(mntns_last_error(), "does not exist") != NULL);
}

struct thread_case {
    pthread_barrier_t *barrier;
    const char *size;
    char fresh[64];
    char seen[256];
    int rc;
};

static void *thread_main(void *arg) {
    struct thread_case *t = arg;
    uint64_t bytes;
    snprintf(t->fresh, sizeof t->fresh, "%s", mntns_last_error());
    t->rc = mntns_parse_size(t->size, &bytes);
    /* Both threads have failed before either looks at its message. */
    pthread_barrier_wait(t->barrier);
    snprintf(t->seen, sizeof t->seen, "%s", mntns_last_error());
    pthread_barrier_wait(t->barrier);
    return NULL;
}

static void last_error_per_thread(const char *scratch) {
    (void)scratch;
    uint64_t bytes;
    CHECK_ERR(mntns_parse_size("main-thread", &bytes), EINVAL, "main-thread");
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, 2);
    struct thread_case a = {.barrier = &barrier, .size = "thread-a"};
    struct thread_case b = {.barrier = &barrier, .size = "thread-b"};
    pthread_t ta, tb;
    CHECK(pthread_create(&ta, NULL, thread_main, &a) == 0);
    CHECK(pthread_create(&tb, NULL, thread_main, &b) == 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    pthread_barrier_destroy(&barrier);
    CHECK(a.rc == -EINVAL && b.rc == -EINVAL);
    CHECK(strcmp(a.fresh, "") == 0 && strcmp(b.fresh, "") == 0);
    CHECK(strstr(a.seen, "thread-a") != NULL && strstr(a.seen, "thread-b") == NULL);
    CHECK(strstr(b.seen, "thread-b") != NULL && strstr(b.seen, "thread-a") == NULL);
    CHECK(strstr(mntns_last_error(), "main-thread") != NULL);
}

/* Misuse that C can get wrong without a crash: huge indexes and lengths. */
static void huge_values(const char *scratch) {
    (void)scratch;
    mntns_mounts *table;
    CHECK_OK(mntns_mounts_read(0, &table));
    struct mntns_mount m;
    size_t n = mntns_mounts_count(table);
    CHECK(n > 0);
    CHECK_ERR(mntns_mounts_get(table, n, &m), ERANGE, "past the end");
    CHECK_ERR(mntns_mounts_get(table, SIZE_MAX, &m), ERANGE, "index 18446744073709551615 is past the end");
    mntns_mounts_free(table);
    struct mntns_nsid id;
    CHECK_OK(mntns_ns_id(0, MNTNS_KIND_MNT, &id));
    char buf[64];
    /* A length larger than the buffer is harmless when the text fits: only the text and
     * its NUL are written. */
    int len = mntns_nsid_format(&id, buf, SIZE_MAX);
    CHECK(len > 0 && (size_t)len == strlen(buf));
    CHECK_ERR(mntns_ns_id(INT_MAX, MNTNS_KIND_MNT, &id), ESRCH, "process 2147483647 has exited");
    CHECK_ERR(mntns_ns_id(INT_MIN, MNTNS_KIND_MNT, &id), EINVAL, "-2147483648 is not a process id");
    uint64_t bytes;
    CHECK_ERR(mntns_parse_size("18446744073709551616", &bytes), EINVAL, "18446744073709551616");
    /* A very long path: ENAMETOOLONG before any system call. */
    size_t big = 1 << 20;
    char *path = malloc(big + 1);
    memset(path, 'a', big);
    path[0] = '/';
    path[big] = '\0';
    CHECK_ERR(mntns_mount_tmpfs_options(path, ""), ENAMETOOLONG, "PATH_MAX");
    free(path);
}

static void version(const char *scratch) {
    (void)scratch;
    const char *v = mntns_version();
    CHECK(v != NULL && strcmp(v, EXPECTED_VERSION) == 0);
    CHECK(mntns_version() == v);
}

int main(void) {
    RUN(null_arguments, MODE_PLAIN);
    RUN(unknown_flag_bits, MODE_PLAIN | BOTH);
    RUN(last_error_lifetime, MODE_PLAIN);
    RUN(last_error_per_thread, MODE_PLAIN);
    RUN(huge_values, MODE_PLAIN);
    RUN(version, MODE_PLAIN);
    return summary("errors");
}
