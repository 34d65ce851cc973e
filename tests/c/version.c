/* mntns_version() is the crate version, and the library's soname is libmntns.so.0. */
#include <mntns.h>
#include <stdio.h>
#include <string.h>

int main(void) {
    const char *v = mntns_version();
    if (v == NULL || strcmp(v, EXPECTED_VERSION) != 0) {
        fprintf(stderr, "mntns_version() = %s, want %s\n", v ? v : "(null)", EXPECTED_VERSION);
        return 1;
    }
    printf("  libmntns %s\n", v);
    return 0;
}
