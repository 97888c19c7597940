/* spawntime: run a command several times and report, per run, its wall time, exit status and
 * peak RSS, as one JSON object on stdout.  A measuring tool for tools/bench and tools/compare,
 * not installed.
 *
 * Why not Python's subprocess.run + perf_counter: on the machines we measure on it adds about
 * 1 ms to every run of every tool, which is more than dumpwalk itself takes on a small dump and
 * so compresses every ratio.  Here a run is timed with CLOCK_MONOTONIC from just before
 * posix_spawn (glibc: clone(CLONE_VM|CLONE_VFORK), no page-table copy) to the return of the
 * wait4 that reaps the child, and the peak RSS is wait4's ru_maxrss (KiB on Linux, the same
 * figure as /usr/bin/time -v).  The child's stdin, stdout and stderr are /dev/null in timed
 * runs, for every tool alike, so no run pays for a pipe and a reader.
 *
 * usage: spawntime [-n RUNS] [-w WARMUP] [-t SECONDS] [-C DIR] [-o FILE] -- COMMAND [ARG]...
 *   -n RUNS     timed runs (default 5)
 *   -w WARMUP   untimed runs before them (default 0)
 *   -t SECONDS  limit per run (default 0: none); a run over it is killed with SIGKILL, reported
 *               with status 124 and "timed_out": true, and no further run is made
 *   -C DIR      working directory of the child (COMMAND is searched in PATH as usual; a
 *               relative COMMAND with a slash is taken relative to DIR)
 *   -o FILE     one extra untimed run first, with stdout to FILE (stderr to /dev/null), for
 *               callers that need the output; FILE is relative to spawntime's own directory
 * Exit status: 0 when the runs were made (whatever the command's status), 2 on a usage error or
 * when COMMAND cannot be started (the message names it).
 *
 * Output (one line), times in nanoseconds, RSS in KiB, status = exit code, or 128 + signal
 * number when the child was killed by a signal:
 *   {"runs":N,"warmup":W,"wall_ns":[...],"maxrss_kib":[...],"status":[...],
 *    "median_wall_ns":M,"min_wall_ns":M,"median_maxrss_kib":K,"max_maxrss_kib":K,
 *    "capture_status":S|null,"timed_out":false}
 * A median of an even count is the mean of the two middle values (as Python's
 * statistics.median).  Linux records the spawning process's peak RSS into the child's
 * ru_maxrss at exec (exec_mmap), so no figure is below spawntime's own (about 1 MiB when linked
 * statically, as the build does where it can): run it on /bin/true to see that floor. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define DEFAULT_RUNS 5
#define MAX_RUNS 100000
#define MAX_TIMEOUT_S 86400
#define STATUS_TIMED_OUT 124 /* as timeout(1) */

struct options {
    long runs;
    long warmup;
    long timeout_s; /* 0: no limit */
    const char *dir;
    const char *capture_path;
    char **argv;
};

/* One finished run.  wall_ns is meaningless for a run that timed out. */
struct run_result {
    int64_t wall_ns;
    long maxrss_kib;
    int status;
    int timed_out;
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void usage(void)
{
    fprintf(stderr, "usage: spawntime [-n RUNS] [-w WARMUP] [-t SECONDS] [-C DIR] [-o FILE] "
                    "-- COMMAND [ARG]...\n");
}

static int parse_count(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || errno || *end || end == s || v < min || v > max)
        return 0;
    *out = v;
    return 1;
}

/* Returns 1 when argv is a valid command line, filling *o; prints why not otherwise. */
static int parse_options(int argc, char **argv, struct options *o)
{
    *o = (struct options){.runs = DEFAULT_RUNS};
    int i = 1;
    for (; i < argc && strcmp(argv[i], "--") != 0; i += 2) {
        const char *flag = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
        int ok = value != NULL;
        if (!strcmp(flag, "-n"))
            ok = parse_count(value, 1, MAX_RUNS, &o->runs);
        else if (!strcmp(flag, "-w"))
            ok = parse_count(value, 0, MAX_RUNS, &o->warmup);
        else if (!strcmp(flag, "-t"))
            ok = parse_count(value, 0, MAX_TIMEOUT_S, &o->timeout_s);
        else if (!strcmp(flag, "-C"))
            o->dir = value;
        else if (!strcmp(flag, "-o"))
            o->capture_path = value;
        else
            ok = 0;
        if (!ok) {
            fprintf(stderr, "spawntime: bad option or value: %s%s%s\n", flag, value ? " " : "",
                    value ? value : "");
            return 0;
        }
    }
    if (i + 1 >= argc) {
        usage();
        return 0;
    }
    o->argv = argv + i + 1;
    return 1;
}

static int status_code(int wstatus)
{
    if (WIFEXITED(wstatus))
        return WEXITSTATUS(wstatus);
    if (WIFSIGNALED(wstatus))
        return 128 + WTERMSIG(wstatus);
    return -1;
}

/* Waits for pid with SIGCHLD blocked (see main), so a time limit needs no signal handler and
 * has no race between arming a timer and blocking in wait4.  Returns 0, or -1 with errno. */
static int wait_child(pid_t pid, long timeout_s, int64_t deadline_ns, struct run_result *r)
{
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    int wstatus;
    struct rusage ru;
    for (;;) {
        pid_t got = wait4(pid, &wstatus, timeout_s ? WNOHANG : 0, &ru);
        if (got == pid)
            break;
        if (got < 0 && errno != EINTR)
            return -1;
        if (got != 0)
            continue;
        /* WNOHANG and still running: sleep until a SIGCHLD or the deadline. */
        int64_t left = deadline_ns - now_ns();
        if (left <= 0) {
            kill(pid, SIGKILL);
            timeout_s = 0; /* the next wait4 blocks until the kill has taken effect */
            r->timed_out = 1;
            continue;
        }
        struct timespec ts = {.tv_sec = left / 1000000000, .tv_nsec = left % 1000000000};
        if (sigtimedwait(&chld, NULL, &ts) < 0 && errno != EAGAIN && errno != EINTR)
            return -1;
    }
    r->maxrss_kib = ru.ru_maxrss;
    r->status = r->timed_out ? STATUS_TIMED_OUT : status_code(wstatus);
    return 0;
}

/* One run of o->argv with stdout to out_fd and stdin/stderr to null_fd.  Returns 0, or the
 * posix_spawn / wait4 error number. */
static int run_once(const struct options *o, const posix_spawnattr_t *attr, int null_fd, int out_fd,
                    struct run_result *r)
{
    posix_spawn_file_actions_t fa;
    int err = posix_spawn_file_actions_init(&fa);
    if (err)
        return err;
    err = posix_spawn_file_actions_adddup2(&fa, null_fd, STDIN_FILENO);
    if (!err)
        err = posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
    if (!err)
        err = posix_spawn_file_actions_adddup2(&fa, null_fd, STDERR_FILENO);
    *r = (struct run_result){0};
    pid_t pid = 0;
    int64_t start = now_ns();
    if (!err)
        err = posix_spawnp(&pid, o->argv[0], &fa, attr, o->argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (err)
        return err;
    if (wait_child(pid, o->timeout_s, start + (int64_t)o->timeout_s * 1000000000, r) < 0)
        return errno;
    r->wall_ns = now_ns() - start;
    return 0;
}

static int compare_int64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Median of n > 0 values; sorts them. */
static int64_t median(int64_t *v, long n)
{
    qsort(v, (size_t)n, sizeof v[0], compare_int64);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

enum run_field { FIELD_WALL_NS, FIELD_MAXRSS_KIB, FIELD_STATUS };

static long long run_field(const struct run_result *r, enum run_field field)
{
    switch (field) {
    case FIELD_WALL_NS:
        return (long long)r->wall_ns;
    case FIELD_MAXRSS_KIB:
        return (long long)r->maxrss_kib;
    case FIELD_STATUS:
        break;
    }
    return (long long)r->status;
}

static void print_array(const char *name, const struct run_result *r, long n, enum run_field field)
{
    printf("\"%s\":[", name);
    for (long i = 0; i < n; i++)
        printf("%s%lld", i ? "," : "", run_field(&r[i], field));
    printf("],");
}

/* done: timed runs made (fewer than o->runs after a time-out).  scratch holds done values. */
static void print_report(const struct options *o, const struct run_result *r, long done,
                         int64_t *scratch, const int *capture_status, int timed_out)
{
    printf("{\"runs\":%ld,\"warmup\":%ld,", done, o->warmup);
    print_array("wall_ns", r, done, FIELD_WALL_NS);
    print_array("maxrss_kib", r, done, FIELD_MAXRSS_KIB);
    print_array("status", r, done, FIELD_STATUS);
    /* A killed run's time is the limit, not a measurement. */
    long timed = done > 0 && r[done - 1].timed_out ? done - 1 : done;
    if (timed > 0) {
        for (long i = 0; i < timed; i++)
            scratch[i] = r[i].wall_ns;
        long long med = (long long)median(scratch, timed), min = (long long)scratch[0];
        for (long i = 0; i < timed; i++)
            scratch[i] = r[i].maxrss_kib;
        long long rss = (long long)median(scratch, timed), max = (long long)scratch[timed - 1];
        printf("\"median_wall_ns\":%lld,\"min_wall_ns\":%lld,\"median_maxrss_kib\":%lld,"
               "\"max_maxrss_kib\":%lld,",
               med, min, rss, max);
    } else {
        printf("\"median_wall_ns\":null,\"min_wall_ns\":null,\"median_maxrss_kib\":null,"
               "\"max_maxrss_kib\":null,");
    }
    if (capture_status)
        printf("\"capture_status\":%d,", *capture_status);
    else
        printf("\"capture_status\":null,");
    printf("\"timed_out\":%s}\n", timed_out ? "true" : "false");
}

static int fail_run(const struct options *o, int err)
{
    fprintf(stderr, "spawntime: cannot run %s: %s\n", o->argv[0], strerror(err));
    return 2;
}

struct series {
    long done; /* timed runs made */
    int capture_status;
    int timed_out; /* a run was killed; no run followed it */
};

/* The capture run (if any), the warm-up runs, then the timed runs into r[].  Returns 0, or an
 * exit status after printing why. */
static int run_all(const struct options *o, const posix_spawnattr_t *attr, int null_fd,
                   int capture_fd, struct run_result *r, struct series *s)
{
    struct run_result untimed;
    int err;
    *s = (struct series){0};
    if (capture_fd >= 0) {
        if ((err = run_once(o, attr, null_fd, capture_fd, &untimed)) != 0)
            return fail_run(o, err);
        s->capture_status = untimed.status;
        if ((s->timed_out = untimed.timed_out))
            return 0;
    }
    for (long i = 0; i < o->warmup; i++) {
        if ((err = run_once(o, attr, null_fd, null_fd, &untimed)) != 0)
            return fail_run(o, err);
        if ((s->timed_out = untimed.timed_out))
            return 0;
    }
    while (s->done < o->runs) {
        if ((err = run_once(o, attr, null_fd, null_fd, &r[s->done])) != 0)
            return fail_run(o, err);
        if ((s->timed_out = r[s->done++].timed_out))
            break;
    }
    return 0;
}

/* SIGCHLD stays blocked in spawntime (wait_child relies on it) and is unblocked in the child,
 * whose signal mask and dispositions are otherwise reset to the defaults. */
static int init_spawn(posix_spawnattr_t *attr)
{
    sigset_t chld, none;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigemptyset(&none);
    if (sigprocmask(SIG_BLOCK, &chld, NULL) != 0 || posix_spawnattr_init(attr) != 0)
        return 0;
    return posix_spawnattr_setsigmask(attr, &none) == 0 &&
           posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGMASK) == 0;
}

int main(int argc, char **argv)
{
    struct options o;
    if (!parse_options(argc, argv, &o))
        return 2;
    /* The capture file is opened before -C so that its path is relative to the caller. */
    int capture_fd = -1;
    if (o.capture_path &&
        (capture_fd = open(o.capture_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
        fprintf(stderr, "spawntime: cannot write %s: %s\n", o.capture_path, strerror(errno));
        return 2;
    }
    int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd < 0 || (o.dir && chdir(o.dir) != 0)) {
        fprintf(stderr, "spawntime: cannot %s %s: %s\n", null_fd < 0 ? "open" : "change to",
                null_fd < 0 ? "/dev/null" : o.dir, strerror(errno));
        return 2;
    }
    posix_spawnattr_t attr;
    struct run_result *r = calloc((size_t)o.runs, sizeof *r);
    int64_t *scratch = calloc((size_t)o.runs, sizeof *scratch);
    if (!r || !scratch || !init_spawn(&attr)) {
        fprintf(stderr, "spawntime: out of memory or cannot set up posix_spawn\n");
        return 2;
    }
    struct series s;
    int rc = run_all(&o, &attr, null_fd, capture_fd, r, &s);
    if (rc == 0)
        print_report(&o, r, s.done, scratch, capture_fd >= 0 ? &s.capture_status : NULL,
                     s.timed_out);
    posix_spawnattr_destroy(&attr);
    free(scratch);
    free(r);
    if (capture_fd >= 0 && close(capture_fd) != 0 && rc == 0) {
        fprintf(stderr, "spawntime: cannot write %s: %s\n", o.capture_path, strerror(errno));
        return 2;
    }
    return rc == 0 && fflush(stdout) != 0 ? 2 : rc;
}
