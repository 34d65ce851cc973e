/* mntns run --tmpfs /tmp/tmp1:size=1m -- sh -c 'mount | grep tmp1'
 *
 * A whole sandbox in one spawn: a fresh tmpfs root with the host's /usr and /etc read-only,
 * /proc, /dev and /tmp, plus a 1 MiB tmpfs at /tmp/tmp1 that only the sandbox sees. As an
 * ordinary user it is rootless (a user namespace maps you to root inside). Give a command to
 * run it instead of the default, or --explain to print the steps instead of running them.
 *
 *   cc run.c $(pkg-config --cflags --libs mntns) -o run && ./run
 *   ./run --explain
 *   ./run cat /proc/self/uid_map
 */
#include <mntns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static int fail(const char *what) {
    fprintf(stderr, "run: %s: %s\n", what, mntns_last_error());
    return 125; /* like mntns run: the command never ran */
}

int main(int argc, char **argv) {
    static const char *const default_command[] = {"sh", "-c", "mount | grep tmp1", NULL};
    int explain = argc > 1 && strcmp(argv[1], "--explain") == 0;
    const char *const *command = argc > 1 && !explain ? (const char *const *)argv + 1
                                                      : default_command;

    /* The sandbox: what `mntns run` starts from, plus the tmpfs. */
    mntns_sandbox *sb;
    if (mntns_sandbox_new(&sb) < 0)
        return fail("new sandbox");
    if (mntns_sandbox_add_tmpfs_options(sb, "/tmp/tmp1", "size=1m") < 0 ||
        mntns_sandbox_set_command(sb, command) < 0) {
        mntns_sandbox_free(sb);
        return fail("configure sandbox");
    }

    if (explain) {
        /* Ask for the length, then fill a buffer of that size (snprintf style). */
        int len = mntns_sandbox_explain(sb, NULL, 0);
        char *text = len > 0 ? malloc((size_t)len + 1) : NULL;
        if (text == NULL || mntns_sandbox_explain(sb, text, (size_t)len + 1) < 0) {
            free(text);
            mntns_sandbox_free(sb);
            return fail("explain");
        }
        fputs(text, stdout);
        free(text);
        mntns_sandbox_free(sb);
        return 0;
    }

    /* Spawn (argv NULL: the command set above), wait, report like a shell. */
    mntns_child *child;
    int status;
    if (mntns_sandbox_spawn(sb, NULL, &child) < 0) {
        int code = fail("spawn");
        mntns_sandbox_free(sb);
        return code;
    }
    mntns_sandbox_free(sb); /* the child has its own handle */
    if (mntns_child_wait(child, &status) < 0) {
        mntns_child_free(child);
        return fail("wait");
    }
    mntns_child_free(child);
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}
