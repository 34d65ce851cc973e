/* unshare -Urm; mount -o size=1m -t tmpfs tmpfs DIR; mount | grep DIR; readlink /proc/self/ns/mnt
 *
 *   cc quickstart.c $(pkg-config --cflags --libs mntns) -o quickstart && ./quickstart /tmp/tmp1
 */
#include <mntns.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static int fail(void) {
    fprintf(stderr, "quickstart: %s\n", mntns_last_error());
    return 1;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "/tmp/tmp1";
    mkdir(dir, 0755); /* the mount point; if that failed, the mount below says why */

    /* Own user and mount namespace (root inside, mapped to us), nothing propagating out. */
    if (mntns_unshare_rootless(MNTNS_NS_MOUNT) < 0 ||
        mntns_set_propagation("/", MNTNS_PROPAGATION_PRIVATE, 1) < 0)
        return fail();

    /* A tmpfs of 1 MiB that only this namespace sees. */
    struct mntns_tmpfs_opts opts;
    mntns_tmpfs_opts_init(&opts);
    if (mntns_parse_size("1m", &opts.size_bytes) < 0 || mntns_mount_tmpfs(dir, &opts) < 0)
        return fail();

    /* Its line in the mount table; the strings belong to the table. */
    mntns_mounts *table;
    if (mntns_mounts_read(0, &table) < 0)
        return fail();
    for (size_t i = 0; i < mntns_mounts_count(table); i++) {
        struct mntns_mount m;
        if (mntns_mounts_get(table, i, &m) == 0 && strcmp(m.target, dir) == 0)
            printf("%s on %s type %s (%s)\n", m.source ? m.source : "none", m.target,
                   m.fstype, m.super_options);
    }
    mntns_mounts_free(table);

    /* The namespace's id, as readlink /proc/self/ns/mnt shows it. */
    struct mntns_nsid id;
    char text[MNTNS_NSID_FORMAT_MAX];
    if (mntns_ns_id(0, MNTNS_KIND_MNT, &id) < 0 ||
        mntns_nsid_format(&id, text, sizeof text) < 0)
        return fail();
    printf("%s\n", text);
    return 0;
}
