/*
 * ab: an interleaved A/B of whole commands, for start-up costs too small for one run to show.
 *
 *   ab ROUNDS PER CMD_A [ARGS…] :: CMD_B [ARGS…] [:: CMD_C …]
 *
 * Each round runs every command PER times (posix_spawn + wait4, stdout on /dev/null),
 * starting with the next command each round so none always goes first, and keeps the
 * median of the round. Prints per command the median over rounds of wall time and of CPU
 * time (user + system of the child, from wait4), and the wall-time ratio to the first
 * command. A command that exits non-zero stops the run. Paths must be absolute (no PATH
 * search). Example (docs/performance.md):
 *
 *   cc -O2 -o target/bench/ab benches/c/ab.c
 *   target/bench/ab 150 30 target/bench/floor oneshot :: \
 *       target/x86_64-unknown-linux-gnu/release/mntns run --bare \
 *       --ro-bind /bin/busybox /bin/true -- /bin/true
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

enum { MAX_CMDS = 8, MAX_PER = 1000 };

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, n, sizeof *v, by_value);
    return v[n / 2];
}

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: ab ROUNDS PER CMD [ARGS…] [:: CMD [ARGS…]]…\n");
        return 2;
    }
    int rounds = atoi(argv[1]), per = atoi(argv[2]);
    if (rounds < 1 || per < 1 || per > MAX_PER) {
        fprintf(stderr, "ab: ROUNDS ≥ 1 and 1 ≤ PER ≤ %d\n", MAX_PER);
        return 2;
    }
    char **cmds[MAX_CMDS];
    int n = 0;
    cmds[n++] = &argv[3];
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "::") != 0) continue;
        if (n == MAX_CMDS || i + 1 == argc) {
            fprintf(stderr, "ab: at most %d commands, none empty\n", MAX_CMDS);
            return 2;
        }
        argv[i] = NULL;
        cmds[n++] = &argv[i + 1];
    }
    double *wall[MAX_CMDS], *cpu[MAX_CMDS];
    static double w[MAX_PER], u[MAX_PER];
    for (int c = 0; c < n; c++) {
        wall[c] = calloc(rounds, sizeof(double));
        cpu[c] = calloc(rounds, sizeof(double));
        if (!wall[c] || !cpu[c]) return 1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < n; k++) {
            int c = (k + r) % n;
            for (int p = 0; p < per; p++) {
                pid_t pid;
                int status, err;
                struct rusage ru;
                double t0 = now_us();
                err = posix_spawn(&pid, cmds[c][0], &fa, NULL, cmds[c], environ);
                if (err) {
                    fprintf(stderr, "ab: %s: %s\n", cmds[c][0], strerror(err));
                    return 1;
                }
                if (wait4(pid, &status, 0, &ru) < 0) {
                    perror("ab: wait4");
                    return 1;
                }
                w[p] = now_us() - t0;
                u[p] = ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec +
                       ru.ru_stime.tv_sec * 1e6 + ru.ru_stime.tv_usec;
                if (status != 0) {
                    fprintf(stderr, "ab: %s: wait status %#x\n", cmds[c][0], status);
                    return 1;
                }
            }
            wall[c][r] = median(w, per);
            cpu[c][r] = median(u, per);
        }
    }
    double first = 0;
    for (int c = 0; c < n; c++) {
        double m = median(wall[c], rounds);
        if (c == 0) first = m;
        printf("%-60.60s wall %8.1f µs  cpu %8.1f µs  %.3f×\n", cmds[c][0], m,
               median(cpu[c], rounds), m / first);
    }
    return 0;
}
