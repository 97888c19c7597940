/* Writes the bundled fixtures (see tests/fixture_gen.c for what they hold).
 *
 *   make_fixtures [DIR]    (DIR defaults to "fixtures")
 *
 * The output is byte-identical on every run; the fixture suite regenerates
 * it and compares it with the committed files. */
#include <stdio.h>

#include "fixture_gen.h"

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "fixtures";
    if (fixture_write_all(dir) != 0)
        return 1;
    size_t n;
    const char *const *files = fixture_files(&n);
    for (size_t i = 0; i < n; i++)
        printf("wrote %s/%s\n", dir, files[i]);
    return 0;
}
