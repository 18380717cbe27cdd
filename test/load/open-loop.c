// The load test's fixed-rate (open-loop) generator, in C: the bundled Node.js one spends about
// as much CPU per request as the server does, and on a 2-core machine the two then take turns
// on the cores (its own sends left up to 3-8 ms late at p99). This one sends each request at
// its scheduled time (nanosecond timers, no bursts of a timer tick's worth), over keep-alive
// connections, one request in flight per connection, and counts latency from the moment a
// request is written, as wrk and the Node generator do; how late each send was against its
// schedule is reported beside it.
//
// usage: open-loop HOST PORT REQUESTS_FILE RATE_PER_S CONNECTIONS DURATION_S
// REQUESTS_FILE holds ready-made HTTP requests separated by NUL bytes (the wrk driver's file).
// Prints one line: OPEN_LOOP_RESULT {json}.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  int fd;
  int busy;
  int dead;
  uint64_t sent_at;
  char *buf;
  size_t len;
  size_t cap;
} conn_t;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/** The same rank as the Node generator's percentile(): ceil(p/100 * n) - 1, clamped. */
static uint64_t percentile(const uint64_t *sorted, size_t n, double p) {
  if (n == 0) return 0;
  double rank = p / 100.0 * (double)n;
  long index = (long)rank + ((double)(long)rank < rank ? 1 : 0) - 1;
  if (index < 0) index = 0;
  if ((size_t)index >= n) index = (long)n - 1;
  return sorted[index];
}

static void die(const char *what) {
  fprintf(stderr, "open-loop: %s: %s\n", what, strerror(errno));
  exit(2);
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: open-loop HOST PORT REQUESTS_FILE RATE_PER_S CONNECTIONS DURATION_S\n");
    return 2;
  }
  const char *host = argv[1];
  int port = atoi(argv[2]);
  double rate = atof(argv[4]);
  int nconn = atoi(argv[5]);
  double duration_s = atof(argv[6]);
  if (port <= 0 || rate <= 0 || nconn <= 0 || duration_s <= 0) {
    fprintf(stderr, "open-loop: bad arguments\n");
    return 2;
  }

  // The request pool.
  FILE *f = fopen(argv[3], "rb");
  if (f == NULL) die("open requests file");
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *data = malloc((size_t)size + 1);
  if (data == NULL || fread(data, 1, (size_t)size, f) != (size_t)size) die("read requests file");
  fclose(f);
  size_t nreq = 0;
  for (long i = 0; i < size; i++) nreq += data[i] == 0;
  if (nreq == 0) {
    fprintf(stderr, "open-loop: no requests in the file\n");
    return 2;
  }
  char **req = malloc(nreq * sizeof *req);
  size_t *req_len = malloc(nreq * sizeof *req_len);
  size_t k = 0, start = 0;
  for (long i = 0; i < size; i++) {
    if (data[i] == 0) {
      req[k] = data + start;
      req_len[k] = (size_t)i - start;
      k++;
      start = (size_t)i + 1;
    }
  }

  // A write into a connection the server closed fails with EPIPE (counted) instead of a signal.
  signal(SIGPIPE, SIG_IGN);

  // Connections.
  int ep = epoll_create1(0);
  if (ep < 0) die("epoll_create1");
  conn_t *conns = calloc((size_t)nconn, sizeof *conns);
  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
    fprintf(stderr, "open-loop: host must be an IPv4 address, got %s\n", host);
    return 2;
  }
  for (int i = 0; i < nconn; i++) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) die("connect");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    conns[i].fd = fd;
    conns[i].cap = 65536;
    conns[i].buf = malloc(conns[i].cap);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) die("epoll_ctl");
  }

  // The schedule: request j is due at t0 + j * interval.
  uint64_t total = (uint64_t)(rate * duration_s);
  double interval_ns = 1e9 / rate;
  uint64_t *latency = malloc(total * sizeof *latency);
  uint64_t *late = malloc(total * sizeof *late);
  uint64_t *waiting = malloc(total * sizeof *waiting); // due times of requests waiting for a connection (FIFO)
  int *idle = malloc((size_t)nconn * sizeof *idle);    // idle connections (FIFO ring)
  if (!latency || !late || !waiting || !idle) die("malloc");
  size_t wait_head = 0, wait_tail = 0;
  int idle_head = 0, idle_count = nconn;
  for (int i = 0; i < nconn; i++) idle[i] = i;
  uint64_t scheduled = 0, answered = 0, sent = 0, non2xx = 0, errors = 0, queued = 0;
  int live = nconn;
  size_t next_req = 0;
  char first_error[256] = "";
  struct epoll_event events[256];
  uint64_t t0 = now_ns();
  uint64_t give_up = t0 + (uint64_t)((duration_s + 15) * 1e9);

  // A connection the server closed, or that failed, is dropped: its request (if any) counts as an error.
#define DROP(ci)                                       \
  do {                                                 \
    conn_t *d_ = &conns[ci];                           \
    if (!d_->dead) {                                   \
      if (d_->busy) errors++;                          \
      epoll_ctl(ep, EPOLL_CTL_DEL, d_->fd, NULL);      \
      close(d_->fd);                                   \
      d_->busy = 0;                                    \
      d_->dead = 1;                                    \
      live--;                                          \
    }                                                  \
  } while (0)

#define SEND(ci, due)                                                                 \
  do {                                                                                \
    conn_t *c_ = &conns[ci];                                                          \
    const char *r_ = req[next_req];                                                   \
    size_t n_ = req_len[next_req];                                                    \
    next_req = next_req + 1 == nreq ? 0 : next_req + 1;                               \
    uint64_t at_ = now_ns();                                                          \
    late[sent++] = at_ > (due) ? at_ - (due) : 0;                                     \
    c_->sent_at = at_;                                                                \
    c_->busy = 1;                                                                     \
    c_->len = 0;                                                                      \
    size_t off_ = 0;                                                                  \
    while (off_ < n_) {                                                               \
      ssize_t w_ = write(c_->fd, r_ + off_, n_ - off_);                               \
      if (w_ < 0) {                                                                   \
        if (errno == EINTR || errno == EAGAIN) continue;                              \
        DROP(ci);                                                                     \
        break;                                                                        \
      }                                                                               \
      off_ += (size_t)w_;                                                             \
    }                                                                                 \
  } while (0)

  while (answered + errors < total) {
    uint64_t now = now_ns();
    if (now > give_up || live == 0) break;
    // Every request now due leaves on an idle connection, or waits for one.
    while (scheduled < total) {
      uint64_t due = t0 + (uint64_t)((double)scheduled * interval_ns);
      if (due > now) break;
      scheduled++;
      // Dropped connections are skipped as they come up.
      while (idle_count > 0 && conns[idle[idle_head]].dead) {
        idle_head = (idle_head + 1) % nconn;
        idle_count--;
      }
      if (idle_count > 0) {
        int ci = idle[idle_head];
        idle_head = (idle_head + 1) % nconn;
        idle_count--;
        SEND(ci, due);
      } else {
        waiting[wait_tail++] = due;
        queued++;
      }
    }
    // Sleep until the next due time or an answer.
    struct timespec timeout = {0, 0};
    if (scheduled < total) {
      uint64_t due = t0 + (uint64_t)((double)scheduled * interval_ns);
      uint64_t now2 = now_ns();
      uint64_t wait = due > now2 ? due - now2 : 0;
      timeout.tv_sec = (time_t)(wait / 1000000000ull);
      timeout.tv_nsec = (long)(wait % 1000000000ull);
    } else {
      timeout.tv_nsec = 10000000; // 10 ms: the last answers
    }
    int n = epoll_pwait2(ep, events, 256, &timeout, NULL);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_pwait2");
    }
    for (int e = 0; e < n; e++) {
      int ci = (int)events[e].data.u32;
      conn_t *c = &conns[ci];
      if (c->dead) continue;
      for (;;) {
        if (c->cap - c->len < 16384) {
          c->cap *= 2;
          c->buf = realloc(c->buf, c->cap);
          if (c->buf == NULL) die("realloc");
        }
        ssize_t r = read(c->fd, c->buf + c->len, c->cap - c->len - 1);
        if (r < 0) {
          if (errno == EINTR) continue;
          if (errno == EAGAIN) break;
          DROP(ci); // reset by the server
          break;
        }
        if (r == 0) {
          DROP(ci); // closed by the server
          break;
        }
        c->len += (size_t)r;
        c->buf[c->len] = 0;
        char *head_end = strstr(c->buf, "\r\n\r\n");
        if (head_end == NULL) break;
        size_t body_len = 0;
        for (char *p = c->buf; p < head_end; p++) {
          if ((p[0] == '\n') && strncasecmp(p + 1, "content-length:", 15) == 0) {
            body_len = (size_t)strtoul(p + 16, NULL, 10);
            break;
          }
        }
        size_t whole = (size_t)(head_end - c->buf) + 4 + body_len;
        if (c->len < whole) continue;
        uint64_t done = now_ns();
        int status = atoi(c->buf + 9);
        if (status < 200 || status > 299) {
          if (non2xx == 0) snprintf(first_error, sizeof first_error, "%d", status);
          non2xx++;
        }
        latency[answered++] = done - c->sent_at;
        c->busy = 0;
        c->len = 0;
        if (wait_head < wait_tail) {
          SEND(ci, waiting[wait_head]);
          wait_head++;
        } else {
          idle[(idle_head + idle_count) % nconn] = ci;
          idle_count++;
        }
        break;
      }
    }
  }
  uint64_t t1 = now_ns();
  qsort(latency, answered, sizeof *latency, cmp_u64);
  qsort(late, sent, sizeof *late, cmp_u64);
  double sum = 0;
  for (uint64_t i = 0; i < answered; i++) sum += (double)latency[i];
  printf("OPEN_LOOP_RESULT {\"requests\":%llu,\"duration_us\":%.0f,\"non2xx\":%llu,\"errors\":%llu,\"unanswered\":%llu,"
         "\"p50_us\":%.1f,\"p99_us\":%.1f,\"mean_us\":%.1f,\"max_us\":%.1f,\"send_delay_p99_us\":%.1f,\"queued\":%llu,\"p90_us\":%.1f,\"p999_us\":%.1f,\"first_error\":\"%s\"}\n",
         (unsigned long long)answered, (double)(t1 - t0) / 1e3, (unsigned long long)non2xx, (unsigned long long)errors,
         (unsigned long long)(total - answered - errors), percentile(latency, answered, 50) / 1e3, percentile(latency, answered, 99) / 1e3,
         answered ? sum / (double)answered / 1e3 : 0.0, answered ? latency[answered - 1] / 1e3 : 0.0, percentile(late, sent, 99) / 1e3, (unsigned long long)queued,
         percentile(latency, answered, 90) / 1e3, percentile(latency, answered, 99.9) / 1e3, first_error);
  return 0;
}
