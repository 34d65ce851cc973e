/*
 * Mounts from C, as root and rootless: tmpfs from the options struct and from mount -o text
 * (sizes, inode limits, mode, owner, flags, noswap), size parsing, binds (recursive,
 * read-only), mount flags (and flags locked by a parent namespace), propagation, unmount,
 * the refusals, and non-UTF-8 paths that must work. Every effect is checked with statfs,
 * stat or the mount table, never taken on trust.
 */
#include "check.h"

#include <sys/statvfs.h>

#define MIB (1024ULL * 1024ULL)

static char *path_in(const char *scratch, const char *name) {
    static char buf[4][PATH_MAX];
    static int next;
    char *p = buf[next++ % 4];
    join(p, PATH_MAX, scratch, name);
    return p;
}

/* The mount whose target is `target` in the calling thread's table (copied out). */
static int find_mount(const char *target, struct mntns_mount *out, char *super, size_t len) {
    mntns_mounts *table;
    int found = 0;
    if (mntns_mounts_read(0, &table) != 0) {
        fprintf(stderr, "    mntns_mounts_read: %s\n", mntns_last_error());
        failures++;
        return 0;
    }
    for (size_t i = 0; i < mntns_mounts_count(table); i++) {
        struct mntns_mount m;
        if (mntns_mounts_get(table, i, &m) == 0 && strcmp(m.target, target) == 0) {
            *out = m;
            snprintf(super, len, "%s", m.super_options);
            found = 1; /* the last one: the top of the stack */
        }
    }
    /* The strings die with the table; only the copied text is used afterwards. */
    out->root = out->target = out->fstype = out->source = out->options = out->super_options = NULL;
    mntns_mounts_free(table);
    return found;
}

static unsigned long long tmpfs_bytes(const char *path) {
    struct statfs sfs;
    if (statfs(path, &sfs) != 0)
        return 0;
    return (unsigned long long)sfs.f_blocks * (unsigned long long)sfs.f_bsize;
}

static void opts_init(const char *scratch) {
    (void)scratch;
    struct mntns_tmpfs_opts o;
    memset(&o, 0, sizeof o);
    CHECK_OK(mntns_tmpfs_opts_init(&o));
    CHECK(o.size_bytes == MNTNS_UNSET64 && o.nr_inodes == MNTNS_UNSET64);
    CHECK(o.mode == MNTNS_UNSET32 && o.uid == MNTNS_UNSET32 && o.gid == MNTNS_UNSET32);
    CHECK(o.flags == 0);
    CHECK(MNTNS_TMPFS_UNLIMITED != MNTNS_UNSET64 && MNTNS_TMPFS_UNLIMITED != 0);
    CHECK(MNTNS_MOUNT_RDONLY == MS_RDONLY && MNTNS_MOUNT_NOSUID == MS_NOSUID);
    CHECK(MNTNS_MOUNT_NODEV == MS_NODEV && MNTNS_MOUNT_NOEXEC == MS_NOEXEC);
    CHECK(MNTNS_MOUNT_NOATIME == MS_NOATIME && MNTNS_MOUNT_NODIRATIME == MS_NODIRATIME);
    CHECK(MNTNS_MOUNT_RELATIME == MS_RELATIME && MNTNS_MOUNT_STRICTATIME == MS_STRICTATIME);
    CHECK(MNTNS_MOUNT_NOSYMFOLLOW == 256 /* MS_NOSYMFOLLOW */);
    CHECK(MNTNS_PROPAGATION_PRIVATE == MS_PRIVATE && MNTNS_PROPAGATION_SLAVE == MS_SLAVE);
    CHECK(MNTNS_PROPAGATION_SHARED == MS_SHARED && MNTNS_PROPAGATION_UNBINDABLE == MS_UNBINDABLE);
    CHECK(MNTNS_UNMOUNT_DETACH == MNT_DETACH && MNTNS_UNMOUNT_FORCE == MNT_FORCE);
    CHECK(MNTNS_UNMOUNT_EXPIRE == MNT_EXPIRE && MNTNS_UNMOUNT_NOFOLLOW == UMOUNT_NOFOLLOW);
}

/* Sizes: what was asked is what statfs shows; 0 and overflows never become unlimited. */
static void tmpfs_sizes(const char *scratch) {
    struct mntns_tmpfs_opts o;
    char super[512];
    struct mntns_mount m;
    char *a = path_in(scratch, "a");
    make_dir(a);

    mntns_tmpfs_opts_init(&o);
    o.size_bytes = MIB;
    CHECK_OK(mntns_mount_tmpfs(a, &o));
    CHECK(is_tmpfs(a) && tmpfs_bytes(a) == MIB);
    CHECK(find_mount(a, &m, super, sizeof super) && strstr(super, "size=1024k") != NULL);
    CHECK_OK(mntns_unmount(a, 0));

    o.size_bytes = 1; /* rounded up to one page */
    CHECK_OK(mntns_mount_tmpfs(a, &o));
    CHECK(tmpfs_bytes(a) == (unsigned long long)sysconf(_SC_PAGESIZE));
    CHECK_OK(mntns_unmount(a, 0));

    o.size_bytes = MNTNS_TMPFS_UNLIMITED;
    CHECK_OK(mntns_mount_tmpfs(a, &o));
    CHECK(is_tmpfs(a) && tmpfs_bytes(a) == 0); /* statfs: 0 blocks = no limit */
    CHECK_OK(mntns_unmount(a, 0));

    o.size_bytes = MNTNS_UNSET64; /* the kernel's default: half of RAM, not unlimited */
    CHECK_OK(mntns_mount_tmpfs(a, &o));
    CHECK(tmpfs_bytes(a) > 0);
    CHECK_OK(mntns_unmount(a, 0));

    o.size_bytes = 0;
    CHECK_ERR(mntns_mount_tmpfs(a, &o), EINVAL, "size_bytes is 0, which the kernel would make an unlimited tmpfs");
    o.size_bytes = (1ULL << 62) + 1;
    CHECK_ERR(mntns_mount_tmpfs(a, &o), EINVAL, "4 EiB");
    o.size_bytes = UINT64_MAX - 2;
    CHECK_ERR(mntns_mount_tmpfs(a, &o), EINVAL, "not a valid size");
    CHECK(!is_tmpfs(a));

    /* Inode limits: f_files is the limit. */
    mntns_tmpfs_opts_init(&o);
    o.nr_inodes = 100;
    CHECK_OK(mntns_mount_tmpfs(a, &o));
    struct statfs sfs;
    CHECK(statfs(a, &sfs) == 0 && sfs.f_files == 100);
    CHECK_OK(mntns_unmount(a, 0));
    o.nr_inodes = MNTNS_TMPFS_UNLIMITED;
    CHECK_OK(mntns_mount_tmpfs(a, &o));
    CHECK(statfs(a, &sfs) == 0 && sfs.f_files == 0);
    CHECK_OK(mntns_unmount(a, 0));
    o.nr_inodes = 0;
    CHECK_ERR(mntns_mount_tmpfs(a, &o), EINVAL, "nr_inodes is 0");
    o.nr_inodes = UINT64_MAX / 1024 + 1;
    CHECK_ERR(mntns_mount_tmpfs(a, &o), EINVAL, "not a valid inode count");
    CHECK(!is_tmpfs(a));
}

/* Mode, owner and flags. */
static void tmpfs_mode_owner_flags(const char *scratch) {
    struct mntns_tmpfs_opts o;
    struct stat st;
    struct statvfs sv;
    char *a = path_in(scratch, "a");
    make_dir(a);

    mntns_tmpfs_opts_init(&o);
    o.mode = 0710;
    o.uid = 0;
    o.gid = 0;
    o.flags = MNTNS_MOUNT_NOSUID | MNTNS_MOUNT_NODEV | MNTNS_MOUNT_NOEXEC;
    CHECK_OK(mntns_mount_tmpfs(a, &o));
    CHECK(stat(a, &st) == 0 && (st.st_mode & 07777) == 0710 && st.st_uid == 0 && st.st_gid == 0);
    CHECK(statvfs(a, &sv) == 0 && (sv.f_flag & ST_NOSUID) && (sv.f_flag & ST_NODEV) &&
          (sv.f_flag & ST_NOEXEC) && !(sv.f_flag & ST_RDONLY));
    CHECK_OK(mntns_unmount(a, 0));

    mntns_tmpfs_opts_init(&o);
    o.flags = MNTNS_MOUNT_RDONLY;
    CHECK_OK(mntns_mount_tmpfs(a, &o));
    CHECK(statvfs(a, &sv) == 0 && (sv.f_flag & ST_RDONLY));
    char *f = path_in(scratch, "a/f");
    CHECK(open(f, O_CREAT | O_WRONLY | O_CLOEXEC, 0644) < 0 && errno == EROFS);
    CHECK_OK(mntns_unmount(a, 0));

    mntns_tmpfs_opts_init(&o);
    o.mode = 010000;
    CHECK_ERR(mntns_mount_tmpfs(a, &o), EINVAL, "has bits outside 0o7777");
    o.mode = MNTNS_UNSET32;
    o.flags = MNTNS_MOUNT_NOATIME | MNTNS_MOUNT_STRICTATIME;
    CHECK_ERR(mntns_mount_tmpfs(a, &o), EINVAL, "conflict: a mount has one atime mode");
    o.flags = 1ULL << 50;
    CHECK_ERR(mntns_mount_tmpfs(a, &o), EINVAL, "unknown flag bits 0x4000000000000");
    o.flags = 0;
    o.uid = 4242; /* not mapped in the rootless namespace */
    if (current_mode == MODE_ROOTLESS)
        CHECK_ERR(mntns_mount_tmpfs(a, &o), EINVAL, "uid 4242 may not be mapped");
    CHECK(!is_tmpfs(a));

    /* noswap: allowed to real root, refused by the kernel in a user namespace, with the
     * reason. */
    mntns_tmpfs_opts_init(&o);
    o.flags = MNTNS_TMPFS_NOSWAP;
    if (current_mode == MODE_ROOT) {
        char super[512];
        struct mntns_mount m;
        CHECK_OK(mntns_mount_tmpfs(a, &o));
        CHECK(find_mount(a, &m, super, sizeof super) && strstr(super, "noswap") != NULL);
        CHECK_OK(mntns_unmount(a, 0));
    } else {
        CHECK_ERR(mntns_mount_tmpfs(a, &o), EINVAL, "noswap is only allowed in the initial user namespace");
    }
}

/* The mount -o text. */
static void tmpfs_options_text(const char *scratch) {
    char *a = path_in(scratch, "a");
    make_dir(a);
    struct stat st;
    CHECK_OK(mntns_mount_tmpfs_options(a, "size=1m,mode=755,nr_inodes=1k,nosuid"));
    CHECK(tmpfs_bytes(a) == MIB);
    CHECK(stat(a, &st) == 0 && (st.st_mode & 07777) == 0755);
    struct statfs sfs;
    CHECK(statfs(a, &sfs) == 0 && sfs.f_files == 1024 && (sfs.f_flags & ST_NOSUID));
    CHECK_OK(mntns_unmount(a, 0));
    CHECK_OK(mntns_mount_tmpfs_options(a, ""));
    CHECK(tmpfs_bytes(a) > 0);
    CHECK_OK(mntns_unmount(a, 0));
    CHECK_OK(mntns_mount_tmpfs_options(a, "size=1%"));
    CHECK(tmpfs_bytes(a) > 0);
    CHECK_OK(mntns_unmount(a, 0));

    CHECK_ERR(mntns_mount_tmpfs_options(a, "size=0"), EINVAL, "size=\"0\"");
    CHECK_ERR(mntns_mount_tmpfs_options(a, "size=1.5m"), EINVAL, "size=\"1.5m\"");
    CHECK_ERR(mntns_mount_tmpfs_options(a, "size=1m,size=2m"), EINVAL, "size given twice");
    CHECK_ERR(mntns_mount_tmpfs_options(a, "bogus"), EINVAL, "unknown option \"bogus\"");
    CHECK_ERR(mntns_mount_tmpfs_options(a, "ro,rw"), EINVAL, "ro and rw conflict");
    CHECK_ERR(mntns_mount_tmpfs_options(a, "mode=999"), EINVAL, "mode=\"999\"");
    CHECK_ERR(mntns_mount_tmpfs_options(a, "size=1m,,mode=755"), EINVAL, "empty option");
    CHECK_ERR(mntns_mount_tmpfs_options(a, "size=\xff"), EINVAL, "is not valid UTF-8 text");
    CHECK(!is_tmpfs(a));
}

static void parse_size(const char *scratch) {
    (void)scratch;
    static const struct {
        const char *text;
        uint64_t bytes;
    } good[] = {{"1", 1},
                {"4096", 4096},
                {"64k", 64 * 1024},
                {"1m", MIB},
                {"1M", MIB},
                {"2G", 2048 * MIB},
                {"1t", 1024 * 1024 * MIB},
                {"4194304t", 1ULL << 62}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        uint64_t bytes = 0;
        CHECK_OK(mntns_parse_size(good[i].text, &bytes));
        CHECK(bytes == good[i].bytes);
    }
    uint64_t tenth = 0, all = 0;
    CHECK_OK(mntns_parse_size("10%", &tenth));
    CHECK_OK(mntns_parse_size("100%", &all));
    CHECK(tenth > 0 && tenth < all);
    static const char *bad[] = {"", "0", "0%", "101%", " 1m", "1m ", "-1", "+1", "1.5m", "0x10",
                                "010", "1q", "1mb", "unlimited", "4194305t",
                                "99999999999999999999", "k"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t bytes = 77;
        char quoted[64];
        snprintf(quoted, sizeof quoted, "\"%s\" is not a valid size", bad[i]);
        CHECK_ERR(mntns_parse_size(bad[i], &bytes), EINVAL, quoted);
        CHECK(bytes == 77);
    }
}

/* Refusals before any system call, and the kernel's errors with their reasons. */
static void tmpfs_refusals(const char *scratch) {
    char *file = path_in(scratch, "file");
    close(open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
    char *missing = path_in(scratch, "missing");
    CHECK_ERR(mntns_mount_tmpfs_options("relative/dir", ""), EINVAL, "is a relative path");
    CHECK_ERR(mntns_mount_tmpfs_options("", ""), EINVAL, "empty path");
    char longname[300];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    CHECK_ERR(mntns_mount_tmpfs_options(path_in(scratch, longname), ""), ENAMETOOLONG, "NAME_MAX is 255");
    if (current_mode == MODE_NOBODY) {
        /* No privilege: the kernel says EPERM and the message says what to do. */
        CHECK_ERR(mntns_mount_tmpfs_options(scratch, ""), EPERM, "CAP_SYS_ADMIN");
        CHECK_ERR(mntns_mount_tmpfs_options(file, ""), EPERM, "unshare Namespaces::USER");
        return;
    }
    CHECK_ERR(mntns_mount_tmpfs_options(missing, "size=1m"), ENOENT, "the target directory does not exist");
    CHECK(strstr(mntns_last_error(), missing) != NULL);
    CHECK_ERR(mntns_mount_tmpfs_options(file, ""), ENOTDIR, file);
}

/* Linux paths are bytes: a directory named with 0xff works everywhere. */
static void non_utf8_paths(const char *scratch) {
    char *a = path_in(scratch, "\xff\xfe-a");
    char *b = path_in(scratch, "b-\xff");
    make_dir(a);
    make_dir(b);
    CHECK_OK(mntns_mount_tmpfs_options(a, "size=1m"));
    CHECK(is_tmpfs(a) && tmpfs_bytes(a) == MIB);
    struct mntns_mount m;
    char super[512];
    CHECK(find_mount(a, &m, super, sizeof super)); /* the table shows the same bytes */
    struct mntns_tmpfs_opts o;
    mntns_tmpfs_opts_init(&o);
    CHECK_OK(mntns_mount_tmpfs(b, &o));
    CHECK(is_tmpfs(b));
    CHECK_OK(mntns_unmount(b, 0));
    char *marker = path_in(scratch, "\xff\xfe-a/\xff");
    close(open(marker, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
    CHECK_OK(mntns_bind(a, b, MNTNS_MOUNT_RDONLY));
    char *seen = path_in(scratch, "b-\xff/\xff");
    CHECK(access(seen, F_OK) == 0);
    struct statvfs sv;
    CHECK(statvfs(b, &sv) == 0 && (sv.f_flag & ST_RDONLY));
    CHECK_OK(mntns_set_mount_flags(b, MNTNS_MOUNT_NOEXEC, MNTNS_MOUNT_RDONLY, 0));
    CHECK(statvfs(b, &sv) == 0 && !(sv.f_flag & ST_RDONLY) && (sv.f_flag & ST_NOEXEC));
    CHECK_OK(mntns_set_propagation(b, MNTNS_PROPAGATION_SHARED, 0));
    CHECK(find_mount(b, &m, super, sizeof super) && m.shared != 0);
    CHECK_OK(mntns_unmount(b, MNTNS_UNMOUNT_DETACH));
    CHECK_OK(mntns_unmount(a, 0));
    CHECK(!is_tmpfs(a) && !is_tmpfs(b));
    char *missing = path_in(scratch, "\xff-missing");
    CHECK_ERR(mntns_mount_tmpfs_options(missing, ""), ENOENT, "-missing");
}

static void binds(const char *scratch) {
    char *src = path_in(scratch, "src");
    char *dst = path_in(scratch, "dst");
    make_dir(src);
    make_dir(dst);
    char sub[PATH_MAX], dsub[PATH_MAX], file[PATH_MAX], dfile[PATH_MAX];
    join(sub, sizeof sub, src, "sub");
    join(dsub, sizeof dsub, dst, "sub");
    join(file, sizeof file, src, "file");
    join(dfile, sizeof dfile, dst, "file");
    make_dir(sub);
    close(open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
    /* The source itself is a mount point with a submount, so a bind of it is allowed in a
     * user namespace (its submounts are not locked to it). */
    CHECK_OK(mntns_mount_tmpfs_options(src, "size=1m"));
    make_dir(sub);
    close(open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
    CHECK_OK(mntns_mount_tmpfs_options(sub, "size=64k"));

    /* Not recursive: the submount does not come along. */
    CHECK_OK(mntns_bind(src, dst, 0));
    CHECK(access(dfile, F_OK) == 0 && tmpfs_bytes(dst) == MIB && tmpfs_bytes(dsub) == MIB);
    CHECK_OK(mntns_unmount(dst, 0));
    /* Recursive, read-only: the submount comes along, read-only too. */
    CHECK_OK(mntns_bind(src, dst, MNTNS_BIND_RECURSIVE | MNTNS_MOUNT_RDONLY | MNTNS_MOUNT_NOSUID));
    struct statvfs sv;
    CHECK(is_tmpfs(dsub) && tmpfs_bytes(dsub) == 64 * 1024);
    CHECK(statvfs(dst, &sv) == 0 && (sv.f_flag & ST_RDONLY) && (sv.f_flag & ST_NOSUID));
    CHECK(statvfs(dsub, &sv) == 0 && (sv.f_flag & ST_RDONLY));
    char dsubfile[PATH_MAX];
    join(dsubfile, sizeof dsubfile, dsub, "x");
    CHECK(open(dsubfile, O_CREAT | O_WRONLY | O_CLOEXEC, 0644) < 0 && errno == EROFS);
    /* The source stays writable. */
    CHECK(statvfs(src, &sv) == 0 && !(sv.f_flag & ST_RDONLY));
    CHECK_OK(mntns_unmount(dst, MNTNS_UNMOUNT_DETACH));

    char *missing = path_in(scratch, "missing");
    CHECK_ERR(mntns_bind(missing, dst, 0), ENOENT, "open bind source");
    CHECK(strstr(mntns_last_error(), missing) != NULL);
    CHECK_ERR(mntns_bind(src, missing, 0), ENOENT, missing);
    CHECK_ERR(mntns_bind("relative", dst, 0), EINVAL, "is a relative path");
    CHECK_ERR(mntns_bind(src, dst, MNTNS_MOUNT_NOATIME | MNTNS_MOUNT_RELATIME), EINVAL, "atime");
    CHECK_ERR(mntns_bind(src, dst, MNTNS_TMPFS_NOSWAP), EINVAL, "mntns_bind takes MNTNS_BIND_RECURSIVE and MNTNS_MOUNT_*");
    CHECK(!is_tmpfs(dst));
}

static void mount_flags(const char *scratch) {
    char *a = path_in(scratch, "a");
    make_dir(a);
    CHECK_OK(mntns_mount_tmpfs_options(a, "size=64k"));
    char sub[PATH_MAX];
    join(sub, sizeof sub, a, "sub");
    make_dir(sub);
    CHECK_OK(mntns_mount_tmpfs_options(sub, "size=64k"));
    struct statvfs sv;
    CHECK_OK(mntns_set_mount_flags(a, MNTNS_MOUNT_NOEXEC | MNTNS_MOUNT_NODEV, 0, 0));
    CHECK(statvfs(a, &sv) == 0 && (sv.f_flag & ST_NOEXEC) && (sv.f_flag & ST_NODEV));
    CHECK(statvfs(sub, &sv) == 0 && !(sv.f_flag & ST_NOEXEC));
    CHECK_OK(mntns_set_mount_flags(a, MNTNS_MOUNT_RDONLY, MNTNS_MOUNT_NOEXEC, 1));
    CHECK(statvfs(a, &sv) == 0 && (sv.f_flag & ST_RDONLY) && !(sv.f_flag & ST_NOEXEC) &&
          (sv.f_flag & ST_NODEV));
    CHECK(statvfs(sub, &sv) == 0 && (sv.f_flag & ST_RDONLY));
    CHECK_OK(mntns_set_mount_flags(a, 0, MNTNS_MOUNT_RDONLY, 1));
    CHECK(statvfs(sub, &sv) == 0 && !(sv.f_flag & ST_RDONLY));

    CHECK_ERR(mntns_set_mount_flags(a, MNTNS_MOUNT_RDONLY, MNTNS_MOUNT_RDONLY, 0), EINVAL, "ro both set and cleared");
    CHECK_ERR(mntns_set_mount_flags(a, 0, MNTNS_MOUNT_RELATIME, 0), EINVAL, "relatime");
    CHECK_ERR(mntns_set_mount_flags(scratch, MNTNS_MOUNT_NOEXEC, 0, 0), EINVAL, "mount point");
    CHECK_ERR(mntns_set_mount_flags(a, 0, 0, 7), EINVAL, "recursive must be 0 or 1, not 7");

    /* A flag set in a more privileged mount namespace is locked in a namespace of a new
     * user namespace: clearing it is refused, and the message says why. */
    CHECK_OK(mntns_set_mount_flags(a, MNTNS_MOUNT_NOSUID, 0, 0));
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        CHECK_OK(mntns_unshare_rootless(MNTNS_NS_MOUNT));
        CHECK_ERR(mntns_set_mount_flags(a, 0, MNTNS_MOUNT_NOSUID, 0), EPERM, "locked");
        /* Setting more flags is allowed. */
        CHECK_OK(mntns_set_mount_flags(a, MNTNS_MOUNT_NOEXEC, 0, 0));
        exit(failures ? 1 : 0);
    }
    CHECK(wait_child(pid) == 0);
    CHECK(statvfs(a, &sv) == 0 && (sv.f_flag & ST_NOSUID) && !(sv.f_flag & ST_NOEXEC));
    CHECK_OK(mntns_unmount(sub, 0));
    CHECK_OK(mntns_unmount(a, 0));
}

static void propagation(const char *scratch) {
    char *a = path_in(scratch, "a");
    char *b = path_in(scratch, "b");
    make_dir(a);
    make_dir(b);
    struct mntns_mount ma, mb;
    char super[512];
    CHECK_OK(mntns_mount_tmpfs_options(a, "size=64k"));
    CHECK_OK(mntns_set_propagation(a, MNTNS_PROPAGATION_SHARED, 0));
    CHECK(find_mount(a, &ma, super, sizeof super) && ma.shared != 0 && ma.master == 0);
    /* A bind of a shared mount is its peer; made a slave, it receives from a's group. */
    CHECK_OK(mntns_bind(a, b, 0));
    CHECK(find_mount(b, &mb, super, sizeof super) && mb.shared == ma.shared);
    CHECK_OK(mntns_set_propagation(b, MNTNS_PROPAGATION_SLAVE, 0));
    CHECK(find_mount(b, &mb, super, sizeof super) && mb.shared == 0 && mb.master == ma.shared);
    /* Events from a reach b, not the other way round. */
    char asub[PATH_MAX], bsub[PATH_MAX];
    join(asub, sizeof asub, a, "sub");
    join(bsub, sizeof bsub, b, "sub");
    make_dir(asub);
    CHECK_OK(mntns_mount_tmpfs_options(asub, "size=64k"));
    CHECK(is_tmpfs(bsub));
    CHECK_OK(mntns_set_propagation(b, MNTNS_PROPAGATION_UNBINDABLE, 1));
    CHECK(find_mount(b, &mb, super, sizeof super) && mb.unbindable == 1 && mb.master == 0);
    CHECK_OK(mntns_set_propagation(a, MNTNS_PROPAGATION_PRIVATE, 1));
    CHECK(find_mount(a, &ma, super, sizeof super) && ma.shared == 0 && ma.master == 0 && ma.unbindable == 0);
    CHECK_ERR(mntns_set_propagation(scratch, MNTNS_PROPAGATION_PRIVATE, 0), EINVAL, "not a mount point");
    CHECK_ERR(mntns_set_propagation(a, 12345, 0), EINVAL, "propagation 0x3039 is not one of");
    CHECK_OK(mntns_unmount(b, MNTNS_UNMOUNT_DETACH));
    CHECK_OK(mntns_unmount(a, MNTNS_UNMOUNT_DETACH));
}

static void unmounting(const char *scratch) {
    char *a = path_in(scratch, "a");
    make_dir(a);
    CHECK_OK(mntns_mount_tmpfs_options(a, "size=64k"));
    CHECK_OK(mntns_unmount(a, 0));
    CHECK(!is_tmpfs(a));
    CHECK_ERR(mntns_unmount(a, 0), EINVAL, "not a mount point");
    /* Busy: a process (this one) has its working directory in it. */
    CHECK_OK(mntns_mount_tmpfs_options(a, "size=64k"));
    int old = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CHECK(chdir(a) == 0);
    CHECK_ERR(mntns_unmount(a, 0), EBUSY, "DETACH (umount -l) detaches it now");
    CHECK_ERR(mntns_unmount(a, MNTNS_UNMOUNT_EXPIRE | MNTNS_UNMOUNT_DETACH), EINVAL, "EXPIRE cannot be combined");
    CHECK_OK(mntns_unmount(a, MNTNS_UNMOUNT_DETACH));
    CHECK(fchdir(old) == 0);
    close(old);
    CHECK(!is_tmpfs(a));
    CHECK_ERR(mntns_unmount("relative", 0), EINVAL, "relative path");
}

int main(void) {
    RUN(opts_init, MODE_PLAIN);
    RUN(tmpfs_sizes, BOTH);
    RUN(tmpfs_mode_owner_flags, BOTH);
    RUN(tmpfs_options_text, BOTH);
    RUN(parse_size, MODE_PLAIN);
    RUN(tmpfs_refusals, BOTH | MODE_NOBODY);
    RUN(non_utf8_paths, BOTH);
    RUN(binds, BOTH);
    RUN(mount_flags, BOTH);
    RUN(propagation, BOTH);
    RUN(unmounting, BOTH);
    return summary("mount");
}
