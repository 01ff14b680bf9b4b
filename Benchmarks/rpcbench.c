/*
 * rpcbench: a small load client for JSON-RPC 2.0 servers that speak the LSP
 * base-protocol framing ("Content-Length: N\r\n\r\n" + JSON body) on stdio.
 *
 *   rpcbench [options] -- server-command [args...]
 *
 * It spawns the server itself (fork + execvp, no shell) and measures:
 *   startup     spawn -> `initialize` response, over S fresh spawns (median);
 *   latency     N sequential `braid/version` requests, one RTT at a time;
 *   throughput  M pipelined `braid/version` requests, at most W outstanding.
 * The result is one JSON object on stdout. Any protocol or I/O failure prints
 * a message on stderr and exits 1.
 *
 * With -e the server is an echo (e.g. `cat`): the echoed request frame counts
 * as the response, and there is no shutdown/exit handshake, only EOF.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int g_echo = 0;              /* -e: server echoes frames */
static int g_timeout_ms = 10000;    /* -t: max wait for any server output */
static const char *g_errlog = NULL; /* -E: where the server's stderr goes */
static volatile pid_t g_child = 0;  /* killed by die() */

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("rpcbench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    if (g_child > 0) kill(g_child, SIGKILL);
    exit(1);
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---------- reading frames ---------- */

typedef struct {
    int fd;
    char *buf;
    size_t cap, beg, end; /* unread bytes are buf[beg..end) */
} Reader;

/* Wait for and read more bytes from the server; dies on EOF or timeout. */
static void fill(Reader *r) {
    if (r->beg == r->end) r->beg = r->end = 0;
    if (r->end == r->cap) {
        if (r->beg > 0) {
            memmove(r->buf, r->buf + r->beg, r->end - r->beg);
            r->end -= r->beg;
            r->beg = 0;
        } else {
            r->cap *= 2;
            if (!(r->buf = realloc(r->buf, r->cap))) die("out of memory");
        }
    }
    for (;;) {
        struct pollfd p = {.fd = r->fd, .events = POLLIN};
        int rc = poll(&p, 1, g_timeout_ms);
        if (rc == 0) die("timed out after %d ms waiting for the server", g_timeout_ms);
        if (rc < 0) {
            if (errno == EINTR) continue;
            die("poll: %s", strerror(errno));
        }
        ssize_t n = read(r->fd, r->buf + r->end, r->cap - r->end);
        if (n > 0) { r->end += (size_t)n; return; }
        if (n == 0) die("server closed its stdout (did it fail to start or crash? see its stderr)");
        if (errno != EINTR) die("read: %s", strerror(errno));
    }
}

/* Returns the body of the next frame (valid until the next call). */
static const char *read_frame(Reader *r, size_t *len) {
    for (;;) {
        const char *p = r->buf + r->beg;
        size_t avail = r->end - r->beg;
        const char *hend = memmem(p, avail, "\r\n\r\n", 4);
        if (!hend && avail > 8192) die("frame header longer than 8 KiB");
        if (hend) {
            long long clen = -1;
            for (const char *line = p; line < hend;) {
                const char *eol = memmem(line, (size_t)(hend + 2 - line), "\r\n", 2);
                const char *colon = memchr(line, ':', (size_t)(eol - line));
                if (!colon) die("malformed header line: %.*s", (int)(eol - line), line);
                size_t nlen = (size_t)(colon - line);
                while (nlen > 0 && line[nlen - 1] == ' ') nlen--;
                if (nlen == 14 && strncasecmp(line, "Content-Length", 14) == 0) {
                    const char *v = colon + 1;
                    while (v < eol && (*v == ' ' || *v == '\t')) v++;
                    clen = 0;
                    if (v == eol) die("empty Content-Length");
                    for (; v < eol && *v != ' ' && *v != '\t'; v++) {
                        if (*v < '0' || *v > '9' || clen > (1LL << 40)) die("bad Content-Length");
                        clen = clen * 10 + (*v - '0');
                    }
                }
                line = eol + 2;
            }
            if (clen < 0) die("frame without Content-Length");
            size_t hlen = (size_t)(hend + 4 - p);
            if (avail >= hlen + (size_t)clen) {
                r->beg += hlen + (size_t)clen;
                *len = (size_t)clen;
                return p + hlen;
            }
        }
        fill(r);
    }
}

/* ---------- just enough JSON: the top-level keys of one object ---------- */

typedef struct {
    int has_id, has_method, has_result, has_error;
    long long id; /* -1 when the id is not a non-negative integer */
} Msg;

static const char *skip_ws(const char *s, const char *e) {
    while (s < e && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) s++;
    return s;
}

static const char *skip_string(const char *s, const char *e) { /* s at '"' */
    for (s++; s < e; s++) {
        if (*s == '\\') s++;
        else if (*s == '"') return s + 1;
    }
    return NULL;
}

static const char *skip_value(const char *s, const char *e) {
    if (s >= e) return NULL;
    if (*s == '"') return skip_string(s, e);
    if (*s == '{' || *s == '[') {
        int depth = 0;
        while (s < e) {
            if (*s == '"') {
                if (!(s = skip_string(s, e))) return NULL;
                continue;
            }
            if (*s == '{' || *s == '[') depth++;
            else if ((*s == '}' || *s == ']') && --depth == 0) return s + 1;
            s++;
        }
        return NULL;
    }
    const char *v = s;
    while (s < e && !memchr(",}] \t\r\n", *s, 7)) s++;
    return s > v ? s : NULL;
}

static int key_is(const char *k, size_t klen, const char *want) {
    return klen == strlen(want) && memcmp(k, want, klen) == 0;
}

static int scan_msg(const char *s, size_t n, Msg *m) {
    const char *e = s + n;
    memset(m, 0, sizeof *m);
    s = skip_ws(s, e);
    if (s >= e || *s != '{') return -1;
    s = skip_ws(s + 1, e);
    if (s < e && *s == '}') return 0;
    for (;;) {
        if (s >= e || *s != '"') return -1;
        const char *k = s + 1, *kend = skip_string(s, e);
        if (!kend) return -1;
        size_t klen = (size_t)(kend - 1 - k);
        s = skip_ws(kend, e);
        if (s >= e || *s != ':') return -1;
        const char *v = skip_ws(s + 1, e);
        if (!(s = skip_value(v, e))) return -1;
        if (key_is(k, klen, "id") && !(s - v == 4 && memcmp(v, "null", 4) == 0)) {
            m->has_id = 1;
            m->id = 0;
            for (const char *d = v; d < s; d++) {
                if (*d < '0' || *d > '9' || m->id > (1LL << 50)) { m->id = -1; break; }
                m->id = m->id * 10 + (*d - '0');
            }
        } else if (key_is(k, klen, "method")) m->has_method = 1;
        else if (key_is(k, klen, "result")) m->has_result = 1;
        else if (key_is(k, klen, "error")) m->has_error = 1;
        s = skip_ws(s, e);
        if (s < e && *s == '}') return 0;
        if (s >= e || *s != ',') return -1;
        s = skip_ws(s + 1, e);
    }
}

/* ---------- the server process ---------- */

typedef struct {
    pid_t pid;
    int to;    /* our end of its stdin */
    Reader rd; /* our end of its stdout */
} Server;

static void spawn(Server *sv, char **argv) {
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) die("pipe2: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0) die("fork: %s", strerror(errno));
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        if (g_errlog) {
            int fd = open(g_errlog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
            if (fd >= 0) dup2(fd, 2);
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    g_child = pid;
    sv->pid = pid;
    sv->to = in[1];
    sv->rd.fd = out[0];
    sv->rd.beg = sv->rd.end = 0;
    if (!sv->rd.buf) {
        sv->rd.cap = 1 << 16;
        if (!(sv->rd.buf = malloc(sv->rd.cap))) die("out of memory");
    }
}

static void write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            die("write to server: %s", strerror(errno));
        }
        p += w;
        n -= (size_t)w;
    }
}

/* Formats one framed request (id >= 0) or notification (id < 0) into dst. */
static size_t frame(char *dst, size_t cap, long long id, const char *method, const char *params) {
    char body[512], idpart[40] = "";
    if (id >= 0) snprintf(idpart, sizeof idpart, "\"id\":%lld,", id);
    int bl = snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",%s\"method\":\"%s\"%s%s}", idpart,
                      method, params ? ",\"params\":" : "", params ? params : "");
    int fl = snprintf(dst, cap, "Content-Length: %d\r\n\r\n%s", bl, body);
    if (bl < 0 || fl < 0 || (size_t)fl >= cap || (size_t)bl >= sizeof body) die("frame too long");
    return (size_t)fl;
}

static void send_msg(Server *sv, long long id, const char *method, const char *params) {
    char buf[600];
    write_all(sv->to, buf, frame(buf, sizeof buf, id, method, params));
}

/* Reads the next response, skipping server notifications and requests. */
static void next_response(Server *sv, Msg *m) {
    for (;;) {
        size_t len;
        const char *body = read_frame(&sv->rd, &len);
        if (scan_msg(body, len, m) < 0) die("unparsable message: %.*s", (int)(len > 300 ? 300 : len), body);
        if (!m->has_id || (m->has_method && !g_echo)) continue;
        if (m->has_error) die("error response: %.*s", (int)(len > 300 ? 300 : len), body);
        if (!g_echo && !m->has_result) die("response without result: %.*s", (int)(len > 300 ? 300 : len), body);
        return;
    }
}

static void call(Server *sv, long long id, const char *method, const char *params) {
    Msg m;
    send_msg(sv, id, method, params);
    next_response(sv, &m);
    if (m.id != id) die("expected response id %lld, got %lld", id, m.id);
}

static void handshake(Server *sv) {
    char params[128];
    snprintf(params, sizeof params, "{\"processId\":%d,\"capabilities\":{}}", (int)getpid());
    call(sv, 1, "initialize", params);
}

/* Ends the session politely and reaps the child; returns 0 on a clean exit. */
static int finish(Server *sv) {
    if (!g_echo) {
        call(sv, 2, "shutdown", NULL);
        send_msg(sv, -1, "exit", NULL);
    }
    close(sv->to);
    for (;;) { /* drain until EOF so the server can never block writing */
        struct pollfd p = {.fd = sv->rd.fd, .events = POLLIN};
        if (poll(&p, 1, g_timeout_ms) <= 0) break;
        if (read(sv->rd.fd, sv->rd.buf, sv->rd.cap) <= 0) break;
    }
    close(sv->rd.fd);
    int status = 0;
    uint64_t deadline = now_ns() + (uint64_t)g_timeout_ms * 1000000u;
    while (waitpid(sv->pid, &status, WNOHANG) == 0) {
        if (now_ns() > deadline) {
            kill(sv->pid, SIGKILL);
            waitpid(sv->pid, &status, 0);
            fprintf(stderr, "rpcbench: server did not exit; killed\n");
            g_child = 0;
            return -1;
        }
        usleep(1000);
    }
    g_child = 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
    fprintf(stderr, "rpcbench: server exited uncleanly (status 0x%x)\n", status);
    return -1;
}

/* ---------- measurements ---------- */

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double pct(const uint64_t *sorted, size_t n, double q) { /* nearest rank */
    size_t k = (size_t)ceil(q * (double)n);
    return (double)sorted[k == 0 ? 0 : k - 1];
}

typedef struct {
    Server *sv;
    long long base;
    long total, sent, received;
    int window;
    pthread_mutex_t mu;
    pthread_cond_t cv;
} Pipeline;

/* Writer: keeps up to `window` requests outstanding, batching frames per write. */
static void *writer(void *arg) {
    Pipeline *pl = arg;
    size_t cap = (size_t)pl->window * 128;
    char *buf = malloc(cap);
    if (!buf) die("out of memory");
    for (;;) {
        pthread_mutex_lock(&pl->mu);
        while (pl->sent < pl->total && pl->sent - pl->received >= pl->window)
            pthread_cond_wait(&pl->cv, &pl->mu);
        long first = pl->sent;
        long k = pl->window - (pl->sent - pl->received);
        if (k > pl->total - pl->sent) k = pl->total - pl->sent;
        pl->sent += k;
        pthread_mutex_unlock(&pl->mu);
        if (k <= 0) break;
        size_t n = 0;
        for (long i = 0; i < k; i++)
            n += frame(buf + n, cap - n, pl->base + first + i, "braid/version", NULL);
        write_all(pl->sv->to, buf, n);
    }
    free(buf);
    return NULL;
}

static double throughput(Server *sv, long long base, long total, int window) {
    Pipeline pl = {.sv = sv, .base = base, .total = total, .window = window};
    unsigned char *seen = calloc((size_t)total, 1);
    if (!seen) die("out of memory");
    pthread_mutex_init(&pl.mu, NULL);
    pthread_cond_init(&pl.cv, NULL);
    pthread_t th;
    uint64_t t0 = now_ns();
    if (pthread_create(&th, NULL, writer, &pl) != 0) die("pthread_create failed");
    for (long got = 0; got < total; got++) {
        Msg m;
        next_response(sv, &m);
        long long i = m.id - base;
        if (m.id < 0 || i < 0 || i >= total || seen[i]) die("unexpected response id %lld", m.id);
        seen[i] = 1;
        pthread_mutex_lock(&pl.mu);
        pl.received++;
        pthread_cond_signal(&pl.cv);
        pthread_mutex_unlock(&pl.mu);
    }
    double secs = (double)(now_ns() - t0) / 1e9;
    pthread_join(th, NULL);
    free(seen);
    return (double)total / secs;
}

static void usage(void) {
    fprintf(stderr,
            "usage: rpcbench [-l label] [-s spawns] [-n latency_requests] [-m throughput_requests]\n"
            "                [-w window] [-W warmup] [-t timeout_s] [-E stderr_log] [-e] -- cmd [args...]\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *label = "server";
    long spawns = 20, nlat = 20000, ntp = 200000, warmup = 1000;
    int window = 64, opt;
    while ((opt = getopt(argc, argv, "+l:s:n:m:w:W:t:E:e")) != -1) {
        switch (opt) {
        case 'l': label = optarg; break;
        case 's': spawns = atol(optarg); break;
        case 'n': nlat = atol(optarg); break;
        case 'm': ntp = atol(optarg); break;
        case 'w': window = atoi(optarg); break;
        case 'W': warmup = atol(optarg); break;
        case 't': g_timeout_ms = atoi(optarg) * 1000; break;
        case 'E': g_errlog = optarg; break;
        case 'e': g_echo = 1; break;
        default: usage();
        }
    }
    if (optind >= argc || spawns < 0 || nlat < 0 || ntp < 0 || warmup < 0 || window < 1 ||
        g_timeout_ms <= 0)
        usage();
    char **cmd = argv + optind;
    signal(SIGPIPE, SIG_IGN);

    Server sv = {0};
    int unclean = 0;

    /* startup: spawn -> initialize response (for an echo: spawn -> echo). */
    uint64_t *st = calloc((size_t)spawns + 1, sizeof *st);
    if (!st) die("out of memory");
    for (long i = 0; i < spawns; i++) {
        uint64_t t0 = now_ns();
        spawn(&sv, cmd);
        handshake(&sv);
        st[i] = now_ns() - t0;
        unclean += finish(&sv) != 0;
    }
    qsort(st, (size_t)spawns, sizeof *st, cmp_u64);

    /* One session for latency then throughput. */
    uint64_t *rtt = calloc((size_t)nlat + 1, sizeof *rtt);
    if (!rtt) die("out of memory");
    double mps = 0;
    if (nlat > 0 || ntp > 0) {
        spawn(&sv, cmd);
        handshake(&sv);
        if (!g_echo) send_msg(&sv, -1, "initialized", "{}");
        long long id = 10;
        for (long i = 0; i < warmup; i++) call(&sv, id++, "braid/version", NULL);
        for (long i = 0; i < nlat; i++) {
            uint64_t t0 = now_ns();
            call(&sv, id++, "braid/version", NULL);
            rtt[i] = now_ns() - t0;
        }
        qsort(rtt, (size_t)nlat, sizeof *rtt, cmp_u64);
        if (ntp > 0) mps = throughput(&sv, id, ntp, window);
        unclean += finish(&sv) != 0;
    }

    printf("{\"server\":\"%s\",\"spawns\":%ld,", label, spawns);
    if (spawns > 0)
        printf("\"startup_ms\":%.3f,\"startup_min_ms\":%.3f,", pct(st, (size_t)spawns, 0.5) / 1e6,
               (double)st[0] / 1e6);
    else
        printf("\"startup_ms\":null,\"startup_min_ms\":null,");
    printf("\"latency_requests\":%ld,\"warmup_requests\":%ld,", nlat, warmup);
    if (nlat > 0)
        printf("\"p50_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f,", pct(rtt, (size_t)nlat, 0.5) / 1e3,
               pct(rtt, (size_t)nlat, 0.99) / 1e3, (double)rtt[nlat - 1] / 1e3);
    else
        printf("\"p50_us\":null,\"p99_us\":null,\"max_us\":null,");
    printf("\"throughput_requests\":%ld,\"window\":%d,", ntp, window);
    if (ntp > 0) printf("\"msgs_per_s\":%.0f,", mps);
    else printf("\"msgs_per_s\":null,");
    printf("\"unclean_exits\":%d}\n", unclean);
    free(st);
    free(rtt);
    free(sv.rd.buf);
    return 0;
}
