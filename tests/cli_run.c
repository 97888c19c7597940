#include "cli_run.h"

#include <check.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_util.h"

extern char **environ;

const char *cli_path(void)
{
    return getenv("DW_CLI");
}

int cli_count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

void cli_run_expect(const char *const *args, int want_exit, cli_result *res)
{
    const char *cmd = args[0] ? args[0] : "(no arguments)";
    const char *arg = args[0] && args[1] ? args[1] : "";
    ck_assert_int_eq(cli_run(args, res), 0);
    ck_assert_msg(res->signal == 0, "%s %s: killed by signal %d", cmd, arg, res->signal);
    ck_assert_msg(res->exit_code == want_exit, "%s %s: exit %d, want %d; stderr: %s", cmd, arg,
                  res->exit_code, want_exit, res->err);
    if (want_exit != 0)
        ck_assert_msg(cli_count_lines(res->err) == 1, "stderr must be one line: '%s'", res->err);
}

static char *slurp(const char *path, size_t *len)
{
    size_t n = 0;
    uint8_t *data = dw_test_read_file(path, &n);
    char *s = malloc(n + 1);
    if (data)
        memcpy(s, data, n);
    s[n] = '\0';
    free(data);
    *len = n;
    return s;
}

int cli_run(const char *const *args, cli_result *res)
{
    memset(res, 0, sizeof *res);
    const char *cli = cli_path();
    if (!cli)
        return -1;
    char outp[512], errp[512];
    static int seq;
    snprintf(outp, sizeof outp, "%s/cli-%d-%d.out", dw_test_tmpdir(), (int)getpid(), seq);
    snprintf(errp, sizeof errp, "%s/cli-%d-%d.err", dw_test_tmpdir(), (int)getpid(), seq++);
    const char *argv[64];
    size_t n = 0;
    argv[n++] = cli;
    for (size_t i = 0; args[i] && n < 63; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid;
    int rc = posix_spawn(&pid, cli, &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return -1;
    int status = 0;
    waitpid(pid, &status, 0);
    res->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    res->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    res->out = slurp(outp, &res->out_len);
    res->err = slurp(errp, &res->err_len);
    unlink(outp);
    unlink(errp);
    return 0;
}

void cli_result_free(cli_result *res)
{
    free(res->out);
    free(res->err);
    memset(res, 0, sizeof *res);
}

/* ---- JSON validation: a recursive-descent recogniser, depth-bounded. --- */

typedef struct jp {
    const char *s;
    size_t n, i;
    int depth;
} jp;

static void ws(jp *p)
{
    while (p->i < p->n && strchr(" \t\r\n", p->s[p->i]) && p->s[p->i])
        p->i++;
}

static int lit(jp *p, const char *w)
{
    size_t l = strlen(w);
    if (p->n - p->i < l || memcmp(p->s + p->i, w, l))
        return 0;
    p->i += l;
    return 1;
}

static int value(jp *p);

static int string(jp *p)
{
    if (p->i >= p->n || p->s[p->i] != '"')
        return 0;
    p->i++;
    while (p->i < p->n) {
        unsigned char c = (unsigned char)p->s[p->i++];
        if (c == '"')
            return 1;
        if (c < 0x20)
            return 0;
        if (c == '\\') {
            if (p->i >= p->n)
                return 0;
            char e = p->s[p->i++];
            if (e == 'u') {
                for (int k = 0; k < 4; k++, p->i++)
                    if (p->i >= p->n || !strchr("0123456789abcdefABCDEF", p->s[p->i]))
                        return 0;
            } else if (!strchr("\"\\/bfnrt", e)) {
                return 0;
            }
        }
    }
    return 0;
}

static int digits(jp *p)
{
    size_t s = p->i;
    while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
        p->i++;
    return p->i > s;
}

static int number(jp *p)
{
    if (p->i < p->n && p->s[p->i] == '-')
        p->i++;
    if (p->i < p->n && p->s[p->i] == '0')
        p->i++;
    else if (!digits(p))
        return 0;
    if (p->i < p->n && p->s[p->i] == '.') {
        p->i++;
        if (!digits(p))
            return 0;
    }
    if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
        p->i++;
        if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-'))
            p->i++;
        if (!digits(p))
            return 0;
    }
    return 1;
}

static int container(jp *p, char open, char close, int is_object)
{
    if (++p->depth > 200)
        return 0;
    p->i++; /* open */
    (void)open;
    ws(p);
    if (p->i < p->n && p->s[p->i] == close) {
        p->i++;
        p->depth--;
        return 1;
    }
    for (;;) {
        ws(p);
        if (is_object) {
            if (!string(p))
                return 0;
            ws(p);
            if (p->i >= p->n || p->s[p->i++] != ':')
                return 0;
        }
        if (!value(p))
            return 0;
        ws(p);
        if (p->i >= p->n)
            return 0;
        char c = p->s[p->i++];
        if (c == close)
            break;
        if (c != ',')
            return 0;
    }
    p->depth--;
    return 1;
}

static int value(jp *p)
{
    ws(p);
    if (p->i >= p->n)
        return 0;
    switch (p->s[p->i]) {
    case '{':
        return container(p, '{', '}', 1);
    case '[':
        return container(p, '[', ']', 0);
    case '"':
        return string(p);
    case 't':
        return lit(p, "true");
    case 'f':
        return lit(p, "false");
    case 'n':
        return lit(p, "null");
    default:
        return number(p);
    }
}

int json_is_valid(const char *text, size_t len)
{
    jp p = {text, len, 0, 0};
    if (!value(&p))
        return 0;
    ws(&p);
    return p.i == p.n;
}
