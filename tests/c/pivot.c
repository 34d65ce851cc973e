/*
 * pivot_root from C, as root and rootless: into a tmpfs keeping the old root at a path,
 * detaching the old root, into a plain (non-mount-point, non-UTF-8) directory, and the
 * refusals. A case that pivoted has no /proc any more, so it ends with finish_case_now().
 */
#include "check.h"

#include <dirent.h>

/* The names in a directory, sorted, space-separated ("" for none). */
static void list_dir(const char *path, char *out, size_t len) {
    struct dirent **names;
    int n = scandir(path, &names, NULL, alphasort);
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (strcmp(names[i]->d_name, ".") != 0 && strcmp(names[i]->d_name, "..") != 0) {
            if (out[0])
                strncat(out, " ", len - strlen(out) - 1);
            strncat(out, names[i]->d_name, len - strlen(out) - 1);
        }
        free(names[i]);
    }
    if (n >= 0)
        free(names);
}

static void make_root(const char *root, int as_tmpfs) {
    char marker[PATH_MAX];
    make_dir(root);
    if (as_tmpfs)
        CHECK_OK(mntns_mount_tmpfs_options(root, "size=1m,mode=755"));
    join(marker, sizeof marker, root, "marker");
    close(open(marker, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
}

static void keep_old_root(const char *scratch) {
    char root[PATH_MAX], old_scratch[PATH_MAX], cwd[PATH_MAX], names[256];
    join(root, sizeof root, scratch, "root");
    make_root(root, 1);
    CHECK_OK(mntns_pivot_root(root, "old-root"));
    CHECK(getcwd(cwd, sizeof cwd) != NULL && strcmp(cwd, "/") == 0);
    list_dir("/", names, sizeof names);
    CHECK(strcmp(names, "marker old-root") == 0);
    /* The old root is there, with our scratch directory in it. */
    join(old_scratch, sizeof old_scratch, "/old-root", scratch);
    CHECK(access(old_scratch, F_OK) == 0);
    CHECK_OK(mntns_unmount("/old-root", MNTNS_UNMOUNT_DETACH));
    list_dir("/old-root", names, sizeof names);
    CHECK(strcmp(names, "") == 0);
    /* The directory the library created for it. */
    struct stat st;
    CHECK(stat("/old-root", &st) == 0 && (st.st_mode & 07777) == 0700);
    /* ".." of "/" is "/". */
    CHECK(chdir("..") == 0 && getcwd(cwd, sizeof cwd) != NULL && strcmp(cwd, "/") == 0);
    finish_case_now();
}

static void detach_old_root(const char *scratch) {
    char root[PATH_MAX], names[256];
    join(root, sizeof root, scratch, "root");
    make_root(root, 1);
    CHECK_OK(mntns_pivot_root(root, NULL));
    list_dir("/", names, sizeof names);
    CHECK(strcmp(names, "marker") == 0);
    CHECK(is_tmpfs("/"));
    finish_case_now();
}

/* A plain directory (bound onto itself by the library) whose name is not UTF-8. */
static void plain_non_utf8_root(const char *scratch) {
    char root[PATH_MAX], names[256], cwd[PATH_MAX];
    join(root, sizeof root, scratch, "\xff-root");
    make_root(root, 0);
    CHECK(!is_tmpfs(root));
    CHECK_OK(mntns_pivot_root(root, "/old"));
    list_dir("/", names, sizeof names);
    CHECK(strcmp(names, "marker old") == 0);
    CHECK(getcwd(cwd, sizeof cwd) != NULL && strcmp(cwd, "/") == 0);
    finish_case_now();
}

static void refusals(const char *scratch) {
    char missing[PATH_MAX], file[PATH_MAX], root[PATH_MAX];
    join(missing, sizeof missing, scratch, "missing");
    join(file, sizeof file, scratch, "file");
    join(root, sizeof root, scratch, "root");
    close(open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
    make_root(root, current_mode != MODE_NOBODY);
    CHECK_ERR(mntns_pivot_root(root, "../escape"), EINVAL, "..");
    if (current_mode == MODE_NOBODY) {
        CHECK_ERR(mntns_pivot_root(root, NULL), EPERM, "");
    } else {
        CHECK_ERR(mntns_pivot_root(missing, NULL), ENOENT, missing);
        CHECK_ERR(mntns_pivot_root(file, NULL), ENOTDIR, file);
    }
    /* Nothing changed: our root is still the host's. */
    CHECK(access(scratch, F_OK) == 0);
}

/* mntns_pivot_root_with: "/" made rprivate (not rslave) before the pivot, so the new root's
 * mount shows no propagation at all; other propagation values are refused. */
static void private_propagation(const char *scratch) {
    char root[PATH_MAX];
    join(root, sizeof root, scratch, "root");
    make_root(root, 1);
    CHECK_ERR(mntns_pivot_root_with(root, NULL, MNTNS_PROPAGATION_SHARED), EINVAL,
              "MNTNS_PROPAGATION_SLAVE or MNTNS_PROPAGATION_PRIVATE");
    CHECK_ERR(mntns_pivot_root_with(NULL, NULL, MNTNS_PROPAGATION_PRIVATE), EINVAL, "new_root");
    CHECK_OK(mntns_pivot_root_with(root, "old", MNTNS_PROPAGATION_PRIVATE));
    CHECK(access("/marker", F_OK) == 0);
    /* The new root has no /proc; under valgrind (no statmount) the table comes from
     * mountinfo, so bring the old root's /proc along. It is private too. */
    CHECK(mkdir("/proc", 0555) == 0);
    /* (mount(2) itself: under valgrind, without open_tree, mntns_bind needs /proc.) */
    CHECK(mount("/old/proc", "/proc", NULL, MS_BIND | MS_REC, NULL) == 0);
    mntns_mounts *table = NULL;
    CHECK_OK(mntns_mounts_read(0, &table));
    size_t n = mntns_mounts_count(table);
    for (size_t i = 0; i < n; i++) {
        struct mntns_mount m;
        CHECK_OK(mntns_mounts_get(table, i, &m));
        CHECK(m.shared == 0 && m.master == 0);
    }
    mntns_mounts_free(table);
    CHECK_OK(mntns_unmount("/old", MNTNS_UNMOUNT_DETACH));
    finish_case_now();
}

int main(void) {
    RUN(private_propagation, BOTH);
    RUN(keep_old_root, BOTH);
    RUN(detach_old_root, BOTH);
    RUN(plain_non_utf8_root, BOTH);
    RUN(refusals, BOTH | MODE_NOBODY);
    return summary("pivot");
}
