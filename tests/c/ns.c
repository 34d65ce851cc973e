/*
 * Namespaces from C: ids against readlink(2) of /proc/PID/ns/KIND, formatting and parsing,
 * unshare (root, rootless, refused), entering by pid, pidfd, fd and path, namespace fds
 * (owner, parent, 64-bit id, owner uid, find), and listing like lsns.
 */
#include "check.h"

#include <pthread.h>

static const struct {
    int kind;
    const char *name;
} KINDS[] = {
    {MNTNS_KIND_MNT, "mnt"},   {MNTNS_KIND_UTS, "uts"},       {MNTNS_KIND_IPC, "ipc"},
    {MNTNS_KIND_PID, "pid"},   {MNTNS_KIND_NET, "net"},       {MNTNS_KIND_USER, "user"},
    {MNTNS_KIND_CGROUP, "cgroup"}, {MNTNS_KIND_TIME, "time"},
};
#define NKINDS (sizeof KINDS / sizeof KINDS[0])

static int same_id(const struct mntns_nsid *a, const struct mntns_nsid *b) {
    return a->kind == b->kind && a->dev == b->dev && a->ino == b->ino;
}

static void check_readlink(const struct mntns_nsid *id, const char *link) {
    char want[128], got[MNTNS_NSID_FORMAT_MAX];
    ssize_t n = readlink(link, want, sizeof want - 1);
    CHECK(n > 0);
    if (n <= 0)
        return;
    want[n] = '\0';
    id_text(id, got, sizeof got);
    if (strcmp(want, got) != 0) {
        fprintf(stderr, "    %s: readlink %s, libmntns %s\n", link, want, got);
        failures++;
    }
}

/* The constants are the kernel's. */
static void constants_are_clone_flags(const char *scratch) {
    (void)scratch;
    CHECK(MNTNS_NS_MOUNT == CLONE_NEWNS && MNTNS_NS_UTS == CLONE_NEWUTS);
    CHECK(MNTNS_NS_IPC == CLONE_NEWIPC && MNTNS_NS_PID == CLONE_NEWPID);
    CHECK(MNTNS_NS_NET == CLONE_NEWNET && MNTNS_NS_USER == CLONE_NEWUSER);
    CHECK(MNTNS_NS_CGROUP == CLONE_NEWCGROUP && MNTNS_NS_TIME == 0x80 /* CLONE_NEWTIME */);
    CHECK(MNTNS_KIND_MNT == MNTNS_NS_MOUNT && MNTNS_KIND_TIME == MNTNS_NS_TIME);
}

/* Every kind's id is what readlink shows, whichever way it is asked for. */
static void ids_match_readlink(const char *scratch) {
    (void)scratch;
    for (size_t i = 0; i < NKINDS; i++) {
        char link[64];
        struct mntns_nsid by_self, by_pid, by_path, by_fd, by_pidfd, parsed;
        CHECK_OK(mntns_ns_id(0, KINDS[i].kind, &by_self));
        CHECK(by_self.kind == KINDS[i].kind);
        snprintf(link, sizeof link, "/proc/thread-self/ns/%s", KINDS[i].name);
        check_readlink(&by_self, link);
        CHECK_OK(mntns_ns_id(getpid(), KINDS[i].kind, &by_pid));
        CHECK(same_id(&by_self, &by_pid));
        snprintf(link, sizeof link, "/proc/self/ns/%s", KINDS[i].name);
        CHECK_OK(mntns_ns_id_path(link, &by_path));
        CHECK(same_id(&by_self, &by_path));
        int fd = open(link, O_RDONLY | O_CLOEXEC);
        CHECK_OK(mntns_ns_id_fd(fd, &by_fd));
        CHECK(same_id(&by_self, &by_fd));
        close(fd);
        int pidfd = open_pidfd(getpid());
        if (pidfd >= 0) {
            CHECK_OK(mntns_ns_id_pidfd(pidfd, KINDS[i].kind, &by_pidfd));
            CHECK(same_id(&by_self, &by_pidfd));
            close(pidfd);
        }
        /* The text round-trips to the same id, nsfs device included. */
        char text[MNTNS_NSID_FORMAT_MAX];
        CHECK_OK(mntns_nsid_parse(id_text(&by_self, text, sizeof text), &parsed));
        CHECK(same_id(&by_self, &parsed));
    }
}

static void id_errors(const char *scratch) {
    char file[PATH_MAX];
    join(file, sizeof file, scratch, "file");
    close(open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
    struct mntns_nsid id = {0, 0, 0};
    CHECK_ERR(mntns_ns_id(-1, MNTNS_KIND_MNT, &id), EINVAL, "-1 is not a process id");
    CHECK_ERR(mntns_ns_id(0, 42, &id), EINVAL, "kind 0x2a is not a namespace kind");
    CHECK_ERR(mntns_ns_id_fd(-1, &id), EBADF, "fd -1 is not an open file descriptor");
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    CHECK_ERR(mntns_ns_id_fd(fd, &id), EINVAL, "not a namespace file");
    close(fd);
    CHECK_ERR(mntns_ns_id_path(file, &id), EINVAL, "not a namespace file");
    CHECK_ERR(mntns_ns_id_path("/nonexistent-mntns", &id), ENOENT, "/nonexistent-mntns");
    /* A non-UTF-8 path that does not exist: ENOENT, not a conversion error. */
    CHECK_ERR(mntns_ns_id_path("/nonexistent-\xff\xfe", &id), ENOENT, "/nonexistent-");
    CHECK_ERR(mntns_ns_id_pidfd(-5, MNTNS_KIND_MNT, &id), EBADF, "pidfd -5");
    /* A process that exited and was reaped. */
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    wait_child(pid);
    CHECK_ERR(mntns_ns_id(pid, MNTNS_KIND_NET, &id), ESRCH, "has exited");
    CHECK(id.kind == 0 && id.dev == 0 && id.ino == 0);
}

static void format_and_parse(const char *scratch) {
    (void)scratch;
    struct mntns_nsid id = {MNTNS_KIND_MNT, 0, 4026532211ULL}, parsed;
    char buf[64];
    /* snprintf-like: the length, and with NULL/0 only the length. */
    CHECK(mntns_nsid_format(&id, NULL, 0) == 16);
    CHECK(mntns_nsid_format(&id, buf, sizeof buf) == 16 && strcmp(buf, "mnt:[4026532211]") == 0);
    CHECK(mntns_nsid_format(&id, buf, 17) == 16);
    memset(buf, 'x', sizeof buf);
    CHECK_ERR(mntns_nsid_format(&id, buf, 16), ERANGE, "mnt:[4026532211] needs 17 bytes with its NUL, the buffer has 16");
    CHECK(buf[0] == 'x' && buf[15] == 'x');
    CHECK_ERR(mntns_nsid_format(&id, buf, 1), ERANGE, "needs 17 bytes");
    struct mntns_nsid big = {MNTNS_KIND_CGROUP, 0, UINT64_MAX};
    char max[MNTNS_NSID_FORMAT_MAX];
    CHECK(mntns_nsid_format(&big, max, sizeof max) == 29);
    CHECK(strcmp(max, "cgroup:[18446744073709551615]") == 0);
    struct mntns_nsid bad = {12345, 0, 1};
    CHECK_ERR(mntns_nsid_format(&bad, buf, sizeof buf), EINVAL, "id->kind 0x3039 is not a namespace kind");
    struct mntns_nsid none = {0, 0, 0};
    CHECK_ERR(mntns_nsid_format(&none, buf, sizeof buf), EINVAL, "is not a namespace kind");

    CHECK_OK(mntns_nsid_parse("cgroup:[18446744073709551615]", &parsed));
    CHECK(parsed.kind == MNTNS_KIND_CGROUP && parsed.ino == UINT64_MAX);
    CHECK_OK(mntns_nsid_parse("user:[4026531837]", &parsed));
    CHECK(parsed.kind == MNTNS_KIND_USER && parsed.ino == 4026531837ULL);
    struct mntns_nsid self;
    CHECK_OK(mntns_ns_id(0, MNTNS_KIND_USER, &self));
    CHECK(parsed.dev == self.dev); /* this kernel's nsfs device */
    const char *garbage[] = {"", "mnt", "mnt:[]", "mnt:[12", "mnt:12]", "mnt:[-1]", "mnt:[ 1]",
                             "foo:[1]", "mnt:[18446744073709551616]", "mnt:[+1]", "MNT:[1]",
                             "mnt:[1]x"};
    for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
        struct mntns_nsid untouched = {7, 7, 7};
        char quoted[64];
        snprintf(quoted, sizeof quoted, "\"%s\" is not of the form KIND:[INODE]", garbage[i]);
        CHECK_ERR(mntns_nsid_parse(garbage[i], &untouched), EINVAL, quoted);
        CHECK(untouched.kind == 7 && untouched.dev == 7 && untouched.ino == 7);
    }
    CHECK_ERR(mntns_nsid_parse("mnt:[\xff]", &parsed), EINVAL, "is not valid UTF-8 text");
}

static void unshare_refusals(const char *scratch) {
    (void)scratch;
    CHECK_ERR(mntns_unshare(0), EINVAL, "no namespace kinds given");
    CHECK_ERR(mntns_unshare(-1), EINVAL, "unknown flag bits");
}

static void *sleeper(void *arg) {
    (void)arg;
    pause();
    return NULL;
}

/* A multithreaded caller is refused with the reason, instead of a bare EINVAL (user) or a
 * silently split process (mount). */
static void unshare_threaded(const char *scratch) {
    (void)scratch;
    pthread_t t;
    CHECK(pthread_create(&t, NULL, sleeper, NULL) == 0);
    struct mntns_nsid before, after;
    CHECK_OK(mntns_ns_id(0, MNTNS_KIND_MNT, &before));
    CHECK_ERR(mntns_unshare(MNTNS_NS_MOUNT), EINVAL, "the calling process has 2 threads");
    CHECK_ERR(mntns_unshare_rootless(MNTNS_NS_MOUNT), EINVAL, "single-threaded");
    CHECK_OK(mntns_ns_id(0, MNTNS_KIND_MNT, &after));
    CHECK(same_id(&before, &after));
    /* Kinds the kernel applies per thread are fine. */
    if (current_mode != MODE_NOBODY) {
        CHECK_OK(mntns_unshare(MNTNS_NS_UTS));
    }
}

/* As root: each kind asked for is new afterwards, the others are not. */
static void unshare_as_root(const char *scratch) {
    (void)scratch;
    struct mntns_nsid uts0, mnt0, net0, uts1, mnt1, net1;
    CHECK_OK(mntns_ns_id(0, MNTNS_KIND_UTS, &uts0));
    CHECK_OK(mntns_ns_id(0, MNTNS_KIND_MNT, &mnt0));
    CHECK_OK(mntns_ns_id(0, MNTNS_KIND_NET, &net0));
    CHECK_OK(mntns_unshare(MNTNS_NS_UTS | MNTNS_NS_MOUNT));
    CHECK_OK(mntns_ns_id(0, MNTNS_KIND_UTS, &uts1));
    CHECK_OK(mntns_ns_id(0, MNTNS_KIND_MNT, &mnt1));
    CHECK_OK(mntns_ns_id(0, MNTNS_KIND_NET, &net1));
    CHECK(!same_id(&uts0, &uts1) && !same_id(&mnt0, &mnt1) && same_id(&net0, &net1));
    CHECK(sethostname("mntns-c-test", 12) == 0);
}

/* As nobody: a plain unshare is refused with the reason; the rootless one works and maps
 * us to root, who may then mount. */
static void unshare_as_nobody(const char *scratch) {
    CHECK_ERR(mntns_unshare(MNTNS_NS_MOUNT), EPERM, "CAP_SYS_ADMIN");
    struct mntns_nsid user0, user1;
    CHECK_OK(mntns_ns_id(0, MNTNS_KIND_USER, &user0));
    CHECK_OK(mntns_unshare_rootless(MNTNS_NS_MOUNT));
    CHECK_OK(mntns_ns_id(0, MNTNS_KIND_USER, &user1));
    CHECK(!same_id(&user0, &user1));
    CHECK(getuid() == 0 && getgid() == 0);
    char *map = read_file("/proc/self/uid_map");
    CHECK(map != NULL && strstr(map, "65534") != NULL);
    free(map);
    CHECK_OK(mntns_set_propagation("/", MNTNS_PROPAGATION_PRIVATE, 1));
    CHECK_OK(mntns_mount_tmpfs_options(scratch, "size=64k"));
    CHECK(is_tmpfs(scratch));
    /* flags 0: only the user namespace. */
    CHECK_OK(mntns_unshare_rootless(0));
    CHECK(getuid() == 0);
}

static void uts_helper(void *arg) {
    const char *name = arg;
    if (unshare(CLONE_NEWUTS) < 0)
        helper_die("unshare uts");
    if (sethostname(name, strlen(name)) < 0)
        helper_die("sethostname");
}

static void mount_helper(void *arg) {
    if (unshare(CLONE_NEWNS) < 0)
        helper_die("unshare mnt");
    if (mount("tmpfs", arg, "tmpfs", 0, "size=64k") < 0)
        helper_die("mount tmpfs");
}

static const char *hostname(void) {
    static char name[256];
    if (gethostname(name, sizeof name) < 0)
        snprintf(name, sizeof name, "?");
    return name;
}

/* Entering a helper's namespaces: by pid, pidfd, path and fd; refusals; exited pids. */
static void enter_namespaces(const char *scratch) {
    /* Our own uts namespace, owned by our user namespace, so we may return to it. */
    CHECK(unshare(CLONE_NEWUTS) == 0);
    char own[256];
    snprintf(own, sizeof own, "%s", hostname());
    int own_uts = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
    struct helper h = start_helper(uts_helper, "mntns-helper");

    CHECK_OK(mntns_enter_pid(h.pid, MNTNS_NS_UTS));
    CHECK(strcmp(hostname(), "mntns-helper") == 0);
    CHECK_OK(mntns_enter_fd(own_uts, MNTNS_NS_UTS));
    CHECK(strcmp(hostname(), own) == 0);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/uts", (int)h.pid);
    CHECK_OK(mntns_enter_path(path, 0));
    CHECK(strcmp(hostname(), "mntns-helper") == 0);
    CHECK_OK(mntns_enter_fd(own_uts, 0));
    CHECK(strcmp(hostname(), own) == 0);
    int pidfd = open_pidfd(h.pid);
    if (pidfd >= 0) {
        CHECK_OK(mntns_enter_pidfd(pidfd, MNTNS_NS_UTS));
        CHECK(strcmp(hostname(), "mntns-helper") == 0);
        CHECK_OK(mntns_enter_fd(own_uts, MNTNS_NS_UTS));
    }

    /* Refusals, before any setns. */
    CHECK_ERR(mntns_enter_pid(h.pid, 0), EINVAL, "no namespace kinds given");
    CHECK_ERR(mntns_enter_pid(0, MNTNS_NS_UTS), EINVAL, "0 is not a process id");
    CHECK_ERR(mntns_enter_fd(own_uts, MNTNS_NS_NET), EINVAL, "is a uts namespace");
    CHECK_ERR(mntns_enter_fd(own_uts, MNTNS_NS_NET | MNTNS_NS_UTS), EINVAL, "a namespace file is one namespace");
    CHECK_ERR(mntns_enter_fd(-1, 0), EBADF, "fd -1 is not an open file descriptor");
    CHECK_ERR(mntns_enter_path("/nonexistent-mntns/ns", 0), ENOENT, "/nonexistent-mntns/ns");
    CHECK(strcmp(hostname(), own) == 0);

    /* A mount namespace: the helper's tmpfs becomes visible here. */
    char dir[PATH_MAX];
    join(dir, sizeof dir, scratch, "m");
    make_dir(dir);
    struct helper hm = start_helper(mount_helper, dir);
    CHECK(!is_tmpfs(dir));
    CHECK_OK(mntns_enter_pid(hm.pid, MNTNS_NS_MOUNT));
    CHECK(is_tmpfs(dir));
    stop_helper(hm);

    /* After the helper exits: "process N has exited", and nothing was joined. */
    CHECK(stop_helper(h) == 0);
    CHECK_ERR(mntns_enter_pid(h.pid, MNTNS_NS_UTS), ESRCH, "has exited");
    if (pidfd >= 0) {
        CHECK_ERR(mntns_enter_pidfd(pidfd, MNTNS_NS_UTS), ESRCH, "has exited");
        close(pidfd);
    }
    CHECK(strcmp(hostname(), own) == 0);
    close(own_uts);
}

static void own_user_uts_helper(void *arg) {
    (void)arg;
    if (unshare(CLONE_NEWUSER | CLONE_NEWUTS) < 0)
        helper_die("unshare user+uts");
}

/* Joining a namespace needs privilege over it, here in our own user namespace, which
 * nobody lacks: the message says what to do. (The helper is ours, so its namespace files
 * can be opened: the refusal is setns's.) */
static void enter_refused_as_nobody(const char *scratch) {
    (void)scratch;
    struct helper h = start_helper(own_user_uts_helper, NULL);
    CHECK_ERR(mntns_enter_pid(h.pid, MNTNS_NS_UTS), EPERM, "CAP_SYS_ADMIN");
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/uts", (int)h.pid);
    CHECK_ERR(mntns_enter_path(path, MNTNS_NS_UTS), EPERM, "CAP_SYS_ADMIN");
    stop_helper(h);
}

static void nested_user_helper(void *arg) {
    (void)arg;
    if (unshare(CLONE_NEWUSER) < 0)
        helper_die("unshare user");
}

static void nobody_user_helper(void *arg) {
    (void)arg;
    become_nobody();
    if (unshare(CLONE_NEWUSER) < 0)
        helper_die("unshare user as nobody");
}

/* Namespace fds: open, owner, parent, 64-bit id, owner uid, find. */
static void namespace_fds(const char *scratch) {
    (void)scratch;
    struct mntns_nsid mnt, user, got;
    CHECK_OK(mntns_ns_id(0, MNTNS_KIND_MNT, &mnt));
    CHECK_OK(mntns_ns_id(0, MNTNS_KIND_USER, &user));
    int mntfd = -1, userfd = -1, fd = -1;
    CHECK_OK(mntns_ns_open(0, MNTNS_KIND_MNT, &mntfd));
    CHECK_OK(mntns_ns_id_fd(mntfd, &got));
    CHECK(same_id(&got, &mnt));
    CHECK(fcntl(mntfd, F_GETFD) == FD_CLOEXEC);
    CHECK_OK(mntns_ns_open(getpid(), MNTNS_KIND_USER, &userfd));

    /* The owner of our mount namespace is our user namespace. */
    CHECK_OK(mntns_ns_owner(mntfd, &fd));
    CHECK_OK(mntns_ns_id_fd(fd, &got));
    CHECK(same_id(&got, &user));
    close(fd);

    /* Parents exist only for user and pid namespaces; at the top of what we can see,
     * there is none (-1). */
    fd = 99;
    CHECK_ERR(mntns_ns_parent(mntfd, &fd), EINVAL, "mnt namespaces have no parent");
    CHECK(fd == 99);
    CHECK_OK(mntns_ns_parent(userfd, &fd));
    CHECK(fd == -1);
    /* A nested user namespace's parent is ours. */
    struct helper h = start_helper(nested_user_helper, NULL);
    int childfd = -1;
    CHECK_OK(mntns_ns_open(h.pid, MNTNS_KIND_USER, &childfd));
    CHECK_OK(mntns_ns_parent(childfd, &fd));
    CHECK(fd >= 0);
    CHECK_OK(mntns_ns_id_fd(fd, &got));
    CHECK(same_id(&got, &user));
    close(fd);
    uint32_t uid = 4242;
    CHECK_OK(mntns_ns_owner_uid(childfd, &uid));
    CHECK(uid == getuid());
    close(childfd);
    stop_helper(h);
    if (current_mode == MODE_PLAIN && geteuid() == 0) {
        /* Created by nobody: owner uid 65534. */
        struct helper n = start_helper(nobody_user_helper, NULL);
        CHECK_OK(mntns_ns_open(n.pid, MNTNS_KIND_USER, &childfd));
        CHECK_OK(mntns_ns_owner_uid(childfd, &uid));
        CHECK(uid == NOBODY);
        close(childfd);
        stop_helper(n);
    }
    uid = 4242;
    CHECK_ERR(mntns_ns_owner_uid(mntfd, &uid), EINVAL, "mnt namespaces have no owner uid");
    CHECK(uid == 4242);

    /* The 64-bit id: a mount namespace has one (this kernel has NS_GET_MNTNS_ID, 6.8),
     * other kinds give 0. */
    uint64_t kid = 1, ukid = 1;
    CHECK_OK(mntns_ns_kernel_id(mntfd, &kid));
    CHECK(kid != 0);
    CHECK_OK(mntns_ns_kernel_id(userfd, &ukid));
    CHECK(ukid == 0);

    /* Finding a namespace by id. */
    CHECK_OK(mntns_ns_find(&mnt, &fd));
    CHECK_OK(mntns_ns_id_fd(fd, &got));
    CHECK(same_id(&got, &mnt));
    close(fd);
    struct mntns_nsid gone = {MNTNS_KIND_UTS, mnt.dev, 1};
    CHECK_ERR(mntns_ns_find(&gone, &fd), ENOENT, "no process or mount holds namespace uts:[1]");

    /* Bad fds. */
    CHECK_ERR(mntns_ns_owner(-1, &fd), EBADF, "fd -1");
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    CHECK_ERR(mntns_ns_kernel_id(devnull, &kid), EINVAL, "not a namespace file");
    close(devnull);
    close(mntfd);
    close(userfd);
}

/* A helper that creates a uts namespace, keeps an fd to it, and goes back: the namespace
 * is then held only by that descriptor. */
static void fd_pin_helper(void *arg) {
    (void)arg;
    int back = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
    if (back < 0 || unshare(CLONE_NEWUTS) < 0)
        helper_die("unshare uts");
    if (open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC) < 0 || setns(back, CLONE_NEWUTS) < 0)
        helper_die("setns back");
}

static int find_entry(mntns_namespaces *list, const struct mntns_nsid *id,
                      struct mntns_namespace_info *info) {
    size_t n = mntns_namespaces_count(list);
    for (size_t i = 0; i < n; i++) {
        CHECK_OK(mntns_namespaces_get(list, i, info));
        if (same_id(&info->id, id))
            return (int)i;
    }
    return -1;
}

static void net_helper(void *arg) {
    (void)arg;
    if (unshare(CLONE_NEWNET) < 0)
        helper_die("unshare net");
}

/* Listing like lsns: our own namespaces with us in them, one held only by an fd, one held
 * only by a bind mount (as ip netns add does), relations, opening entries, refusals. */
static void listing(const char *scratch) {
    /* A net namespace held only by a bind mount of its nsfs file (not in plain mode: that
     * would mount in the host's namespace). */
    struct mntns_nsid bound = {0, 0, 0};
    char pinfile[PATH_MAX];
    join(pinfile, sizeof pinfile, scratch, "net-pin-\xff");
    if (current_mode != MODE_PLAIN) {
        close(open(pinfile, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
        struct helper n = start_helper(net_helper, NULL);
        char nspath[64];
        snprintf(nspath, sizeof nspath, "/proc/%d/ns/net", (int)n.pid);
        CHECK_OK(mntns_ns_id_path(nspath, &bound));
        CHECK(mount(nspath, pinfile, NULL, MS_BIND, NULL) == 0);
        stop_helper(n);
    }
    struct mntns_nsid mnt, user;
    CHECK_OK(mntns_ns_id(0, MNTNS_KIND_MNT, &mnt));
    CHECK_OK(mntns_ns_id(0, MNTNS_KIND_USER, &user));
    /* A uts namespace of our user namespace, so the helper may return to it. */
    if (current_mode == MODE_ROOTLESS)
        CHECK(unshare(CLONE_NEWUTS) == 0);
    int pinfd = -1;
    struct helper h = start_helper(fd_pin_helper, NULL);
    char link[64];
    /* The helper's descriptor that holds a uts namespace other than ours. */
    struct mntns_nsid uts, pinned = {0, 0, 0};
    CHECK_OK(mntns_ns_id(0, MNTNS_KIND_UTS, &uts));
    for (int fd = 3; fd < 64 && pinned.kind == 0; fd++) {
        snprintf(link, sizeof link, "/proc/%d/fd/%d", (int)h.pid, fd);
        struct mntns_nsid id;
        if (mntns_ns_id_path(link, &id) == 0 && id.kind == MNTNS_KIND_UTS && !same_id(&id, &uts)) {
            pinned = id;
            pinfd = fd;
        }
    }
    CHECK(pinned.kind == MNTNS_KIND_UTS);

    mntns_namespaces *list = NULL;
    CHECK_OK(mntns_namespaces_list(MNTNS_KIND_MNT, &list));
    if (list == NULL) {
        stop_helper(h);
        return;
    }
    size_t n = mntns_namespaces_count(list);
    CHECK(n >= 1);
    struct mntns_namespace_info info;
    int at = find_entry(list, &mnt, &info);
    CHECK(at >= 0);
    if (at >= 0) {
        CHECK(info.nprocs >= 1 && info.pids != NULL);
        int found = 0;
        for (size_t i = 0; i < info.nprocs; i++) {
            found |= info.pids[i] == getpid();
            if (i > 0)
                CHECK(info.pids[i - 1] < info.pids[i]);
        }
        CHECK(found);
        CHECK(info.pid == info.pids[0]);
        CHECK(info.command != NULL && info.user != NULL);
        CHECK(info.npins >= 1 && info.pins[0].type == MNTNS_PIN_PROCESS &&
              info.pins[0].pid == info.pid && info.pins[0].fd == -1 && info.pins[0].path == NULL);
        CHECK(info.owner.kind == MNTNS_KIND_USER && same_id(&info.owner, &user));
        CHECK(info.parent.kind == 0);
        uint64_t kid = 0;
        int fd = -1;
        CHECK_OK(mntns_namespaces_open(list, (size_t)at, &fd));
        CHECK_OK(mntns_ns_kernel_id(fd, &kid));
        CHECK(kid != 0 && kid == info.kernel_id);
        struct mntns_nsid got;
        CHECK_OK(mntns_ns_id_fd(fd, &got));
        CHECK(same_id(&got, &mnt));
        close(fd);
    }
    /* Every entry is a mount namespace, sorted by inode. */
    for (size_t i = 0; i < n; i++) {
        struct mntns_namespace_info e;
        CHECK_OK(mntns_namespaces_get(list, i, &e));
        CHECK(e.id.kind == MNTNS_KIND_MNT);
        if (i > 0) {
            struct mntns_namespace_info prev;
            CHECK_OK(mntns_namespaces_get(list, i - 1, &prev));
            CHECK(prev.id.ino < e.id.ino);
        }
    }
    memset(&info, 0x5a, sizeof info);
    CHECK_ERR(mntns_namespaces_get(list, n, &info), ERANGE, "is past the end of a list of");
    CHECK_ERR(mntns_namespaces_get(list, SIZE_MAX, &info), ERANGE, "past the end");
    CHECK(info.nprocs == 0x5a5a5a5a5a5a5a5aULL);
    int fd = 77;
    CHECK_ERR(mntns_namespaces_open(list, n, &fd), ERANGE, "past the end");
    CHECK(fd == 77);
    mntns_namespaces_free(list);

    /* All kinds: our user namespace is there, and the one only a descriptor holds. */
    list = NULL;
    CHECK_OK(mntns_namespaces_list(0, &list));
    if (list == NULL) {
        stop_helper(h);
        return;
    }
    at = find_entry(list, &user, &info);
    CHECK(at >= 0);
    if (at >= 0)
        CHECK(info.id.kind == MNTNS_KIND_USER && info.uid == 0);
    at = find_entry(list, &pinned, &info);
    CHECK(at >= 0);
    if (at >= 0) {
        CHECK(info.nprocs == 0 && info.pids == NULL && info.pid == 0);
        CHECK(info.uid == MNTNS_UNSET32 && info.user == NULL && info.command == NULL);
        CHECK(info.npins == 1 && info.pins[0].type == MNTNS_PIN_FD && info.pins[0].pid == h.pid &&
              info.pins[0].fd == pinfd);
        int got_fd = -1;
        struct mntns_nsid got;
        CHECK_OK(mntns_namespaces_open(list, (size_t)at, &got_fd));
        CHECK_OK(mntns_ns_id_fd(got_fd, &got));
        CHECK(same_id(&got, &pinned));
        close(got_fd);
    }
    if (bound.kind != 0) {
        at = find_entry(list, &bound, &info);
        CHECK(at >= 0);
        if (at >= 0) {
            CHECK(info.nprocs == 0 && info.npins == 1);
            CHECK(info.pins[0].type == MNTNS_PIN_BIND_MOUNT && info.pins[0].pid == 0 &&
                  info.pins[0].fd == -1);
            CHECK(info.pins[0].path != NULL && strcmp(info.pins[0].path, pinfile) == 0);
            int got_fd = -1;
            struct mntns_nsid got;
            CHECK_OK(mntns_namespaces_open(list, (size_t)at, &got_fd));
            CHECK_OK(mntns_ns_id_fd(got_fd, &got));
            CHECK(same_id(&got, &bound));
            close(got_fd);
        }
    }
    int kinds_seen = 0;
    for (size_t i = 0; i < mntns_namespaces_count(list); i++) {
        struct mntns_namespace_info e;
        CHECK_OK(mntns_namespaces_get(list, i, &e));
        for (size_t k = 0; k < NKINDS; k++)
            if (e.id.kind == KINDS[k].kind)
                kinds_seen |= 1 << k;
    }
    CHECK(kinds_seen == (1 << NKINDS) - 1);
    mntns_namespaces_free(list);
    stop_helper(h);
}

/* As nobody: a user namespace of its own, then the maps written with mntns_write_id_maps
 * (only the caller's own ids, setgroups denied first); bad maps are refused up front. */
static void write_maps_as_nobody(const char *scratch) {
    (void)scratch;
    CHECK_ERR(mntns_write_id_maps(0, "0 65534", NULL, 0), EINVAL, "uid_map line 1");
    CHECK_ERR(mntns_write_id_maps(0, "0 1 5\n3 9 5", NULL, 0), EINVAL, "overlap");
    CHECK_ERR(mntns_write_id_maps(0, NULL, "\n", 0), EINVAL, "gid_map has no line");
    CHECK_ERR(mntns_write_id_maps(0, "0 65534 1", "0 65534 1", 2), EINVAL, "allow_setgroups");
    CHECK_OK(mntns_unshare(MNTNS_NS_USER));
    CHECK(getuid() == 65534); /* the overflow id until the map exists */
    CHECK_OK(mntns_write_id_maps(0, "0 65534 1", "0 65534 1", 0));
    CHECK(getuid() == 0 && getgid() == 0);
    /* Each map can be written once. */
    CHECK_ERR(mntns_write_id_maps(0, "0 65534 1", NULL, 1), EPERM, "uid_map");
}

int main(void) {
    RUN(write_maps_as_nobody, MODE_NOBODY);
    RUN(constants_are_clone_flags, MODE_PLAIN);
    RUN(ids_match_readlink, MODE_PLAIN | BOTH | MODE_NOBODY);
    RUN(id_errors, MODE_PLAIN | MODE_ROOTLESS);
    RUN(format_and_parse, MODE_PLAIN);
    RUN(unshare_refusals, MODE_PLAIN);
    RUN(unshare_threaded, BOTH | MODE_NOBODY);
    /* unshare itself: as real root, and as nobody (refused, then rootless); the rootless
     * test mode already is inside a user namespace, where unshare_as_root applies. */
    RUN(unshare_as_root, BOTH);
    RUN(unshare_as_nobody, MODE_NOBODY);
    RUN(enter_namespaces, BOTH);
    RUN(enter_refused_as_nobody, MODE_NOBODY);
    RUN(namespace_fds, MODE_PLAIN | MODE_ROOTLESS);
    RUN(listing, MODE_PLAIN | BOTH);
    return summary("ns");
}
