/* End-to-end tests of the dumpwalk CLI: usage errors, exit statuses, the
 * bundled fixture, gzip input, damaged dumps, JSON validity, and every dump of
 * the shared corpus (never a signal; thread ids equal the reference tools'). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "cli_run.h"
#include "corpus.h"
#include "mdwriter.h"
#include "test_util.h"

START_TEST(usage_errors_exit_2_with_one_line)
{
    cli_result r;
    const char *none[] = {NULL};
    cli_run_expect(none, 2, &r);
    ck_assert_ptr_nonnull(strstr(r.err, "no command"));
    cli_result_free(&r);
    const char *bad_cmd[] = {"frobnicate", "x.dmp", NULL};
    cli_run_expect(bad_cmd, 2, &r);
    ck_assert_ptr_nonnull(strstr(r.err, "unknown command 'frobnicate'"));
    cli_result_free(&r);
    const char *bad_opt[] = {"info", "--bogus", "x.dmp", NULL};
    cli_run_expect(bad_opt, 2, &r);
    ck_assert_ptr_nonnull(strstr(r.err, "--bogus"));
    cli_result_free(&r);
    const char *no_dump[] = {"info", NULL};
    cli_run_expect(no_dump, 2, &r);
    cli_result_free(&r);
    const char *help[] = {"--help", NULL};
    cli_run_expect(help, 0, &r);
    ck_assert_ptr_nonnull(strstr(r.out, "usage: dumpwalk"));
    cli_result_free(&r);
}
END_TEST

START_TEST(unreadable_inputs_exit_2)
{
    cli_result r;
    const char *missing[] = {"info", "/nonexistent/crash.dmp", NULL};
    cli_run_expect(missing, 2, &r);
    ck_assert_ptr_nonnull(strstr(r.err, "/nonexistent/crash.dmp"));
    ck_assert_ptr_nonnull(strstr(r.err, "cannot open"));
    cli_result_free(&r);

    char path[512];
    snprintf(path, sizeof path, "%s/not-a-dump.txt", dw_test_tmpdir());
    FILE *f = fopen(path, "w");
    fputs("this is not a minidump, just text that is long enough for a header\n", f);
    fclose(f);
    const char *text[] = {"info", path, NULL};
    cli_run_expect(text, 2, &r);
    ck_assert_ptr_nonnull(strstr(r.err, "not a minidump"));
    cli_result_free(&r);
}
END_TEST

START_TEST(fixture_info_names_the_crash)
{
    cli_result r;
    const char *args[] = {"info", dw_test_fixture_dump(), NULL};
    cli_run_expect(args, 0, &r);
    ck_assert_msg(strstr(r.out, "EXCEPTION_ACCESS_VIOLATION_WRITE") != NULL, "%s", r.out);
    ck_assert_ptr_nonnull(strstr(r.out, "0x45"));
    ck_assert_ptr_nonnull(strstr(r.out, "Windows NT"));
    ck_assert_ptr_nonnull(strstr(r.out, "Process id: 4242"));
    ck_assert_ptr_nonnull(strstr(r.out, "Health: ok"));
    cli_result_free(&r);
}
END_TEST

START_TEST(every_command_gives_valid_json)
{
    static const char *const cmds[] = {"info", "streams", "threads", "modules", "memory"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        cli_result r;
        const char *args[] = {cmds[i], "--json", dw_test_fixture_dump(), NULL};
        cli_run_expect(args, 0, &r);
        ck_assert_msg(json_is_valid(r.out, r.out_len), "%s --json is not valid JSON:\n%s", cmds[i],
                      r.out);
        ck_assert_ptr_nonnull(strstr(r.out, "\"dumpwalk_json_version\": 1"));
        cli_result_free(&r);
    }
    cli_result r;
    const char *threads[] = {"threads", "--json", dw_test_fixture_dump(), NULL};
    cli_run_expect(threads, 0, &r);
    ck_assert_ptr_nonnull(strstr(r.out, "\"thread_id\": 4096"));
    ck_assert_ptr_nonnull(strstr(r.out, "\"name\": \"main\""));
    ck_assert_ptr_nonnull(strstr(r.out, "\"rip\": \"0x140001a2c\""));
    cli_result_free(&r);
}
END_TEST

START_TEST(json_validator_rejects_bad_json)
{
    /* The validator the JSON tests rely on must itself be able to fail. */
    ck_assert(json_is_valid("{\"a\": [1, 2.5e3, \"x\\n\", true, null]}", 36));
    ck_assert(!json_is_valid("{\"a\": [1, 2,]}", 14));
    ck_assert(!json_is_valid("{\"a\" 1}", 8));
    ck_assert(!json_is_valid("{\"a\": \"\x01\"}", 10));
    ck_assert(!json_is_valid("{} {}", 5));
}
END_TEST

START_TEST(gzip_input_is_read_directly)
{
    size_t size;
    uint8_t *raw = dw_test_read_file(dw_test_fixture_dump(), &size);
    ck_assert_ptr_nonnull(raw);
    char gz[512];
    snprintf(gz, sizeof gz, "%s/fixture.dmp.gz", dw_test_tmpdir());
    gzFile g = gzopen(gz, "wb");
    ck_assert_int_eq(gzwrite(g, raw, (unsigned)size), (int)size);
    gzclose(g);
    free(raw);
    cli_result r;
    const char *args[] = {"info", "--json", gz, NULL};
    cli_run_expect(args, 0, &r);
    ck_assert_ptr_nonnull(strstr(r.out, "\"compressed\": true"));
    ck_assert_ptr_nonnull(strstr(r.out, "EXCEPTION_ACCESS_VIOLATION_WRITE"));
    cli_result_free(&r);

    /* A truncated gzip file is unusable input, said in one line. */
    uint8_t *gzdata = dw_test_read_file(gz, &size);
    FILE *f = fopen(gz, "wb");
    fwrite(gzdata, 1, size / 2, f);
    fclose(f);
    free(gzdata);
    cli_run_expect(args, 2, &r);
    ck_assert_ptr_nonnull(strstr(r.err, "gzip"));
    cli_result_free(&r);
}
END_TEST

START_TEST(damaged_dump_exits_1_and_names_the_stream)
{
    size_t size;
    uint8_t *raw = dw_test_read_file(dw_test_fixture_dump(), &size);
    size_t entry = mdw_find_dir_entry(raw, size, 3 /* ThreadList */);
    ck_assert(entry != (size_t)-1);
    uint32_t rva = raw[entry + 8] | raw[entry + 9] << 8 | raw[entry + 10] << 16 |
                   (uint32_t)raw[entry + 11] << 24;
    mdw_patch_u32(raw, size, rva, 4096); /* thread count */
    char path[512];
    snprintf(path, sizeof path, "%s/damaged.dmp", dw_test_tmpdir());
    FILE *f = fopen(path, "wb");
    fwrite(raw, 1, size, f);
    fclose(f);
    free(raw);
    cli_result r;
    const char *args[] = {"threads", path, NULL};
    cli_run_expect(args, 1, &r);
    ck_assert_msg(strstr(r.err, "ThreadList: 4096") != NULL, "%s", r.err);
    /* The threads that are whole are still printed. */
    ck_assert_ptr_nonnull(strstr(r.out, "id 4096 (0x1000)"));
    cli_result_free(&r);
}
END_TEST

static int has_tid(const char *json, uint32_t tid)
{
    char key[64];
    snprintf(key, sizeof key, "\"thread_id\": %u,", tid);
    return strstr(json, key) != NULL;
}

START_TEST(corpus_dumps_never_crash_and_threads_match_oracles)
{
    const char *const *dumps;
    size_t n = corpus_dumps(&dumps);
    if (n == 0)
        return;
    static const char *const cmds[] = {"info", "streams", "threads", "modules", "memory"};
    size_t compared = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t c = 0; c < sizeof cmds / sizeof cmds[0]; c++) {
            cli_result r;
            const char *args[] = {cmds[c], "--json", corpus_abs(dumps[i]), NULL};
            ck_assert_int_eq(cli_run(args, &r), 0);
            ck_assert_msg(r.signal == 0, "%s %s: signal %d", cmds[c], dumps[i], r.signal);
            ck_assert_msg(r.exit_code >= 0 && r.exit_code <= 2, "%s %s: exit %d", cmds[c], dumps[i],
                          r.exit_code);
            if (r.exit_code != 0)
                ck_assert_msg(cli_count_lines(r.err) == 1, "%s %s: stderr '%s'", cmds[c], dumps[i],
                              r.err);
            if (r.exit_code != 2)
                ck_assert_msg(json_is_valid(r.out, r.out_len), "%s %s: invalid JSON", cmds[c],
                              dumps[i]);
            if (!strcmp(cmds[c], "threads") && r.exit_code != 2) {
                uint32_t tids[512];
                int skipped[512];
                size_t nt = oracle_thread_ids(corpus_oracle(dumps[i], "bp.nosym.norm.txt"), tids,
                                              skipped, 512);
                if (nt == 0)
                    nt = oracle_thread_ids(corpus_oracle(dumps[i], "lldb.nosym.norm.txt"), tids,
                                           skipped, 512);
                size_t listed = 0;
                for (size_t t = 0; t < nt; t++) {
                    /* Breakpad names its dump thread even when the list lacks it. */
                    if (skipped[t] && !has_tid(r.out, tids[t]))
                        continue;
                    ck_assert_msg(has_tid(r.out, tids[t]), "%s: thread 0x%x missing", dumps[i],
                                  tids[t]);
                    listed++;
                }
                size_t ours = 0;
                for (const char *p = r.out; (p = strstr(p, "\"thread_id\":")); p++)
                    ours++;
                if (nt)
                    ck_assert_msg(ours == listed, "%s: %zu threads, oracle %zu", dumps[i], ours,
                                  listed);
                compared += nt > 0;
            }
            cli_result_free(&r);
        }
    }
    ck_assert_msg(compared >= 40, "only %zu dumps had thread oracles", compared);
}
END_TEST

Suite *cli_suite(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("cli");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, usage_errors_exit_2_with_one_line);
    tcase_add_test(tc, unreadable_inputs_exit_2);
    tcase_add_test(tc, fixture_info_names_the_crash);
    tcase_add_test(tc, every_command_gives_valid_json);
    tcase_add_test(tc, json_validator_rejects_bad_json);
    tcase_add_test(tc, gzip_input_is_read_directly);
    tcase_add_test(tc, damaged_dump_exits_1_and_names_the_stream);
    tcase_add_test(tc, corpus_dumps_never_crash_and_threads_match_oracles);
    suite_add_tcase(s, tc);
    return s;
}
