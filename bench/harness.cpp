#include "harness.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>

#include <poll.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

namespace bench {

std::vector<client_role> clients_only(int n) {
  std::vector<client_role> roles;
  for (int cid = 0; cid < n; ++cid)
    roles.push_back({role::client, cid});
  return roles;
}

std::vector<client_role> producers_and_consumers(int n) {
  std::vector<client_role> roles;
  for (auto kind : {role::producer, role::consumer})
    for (int cid = 0; cid < n; ++cid)
      roles.push_back({kind, cid});
  return roles;
}

namespace {

/// What a client sends when its loop is done.
struct client_report {
  std::int64_t finished_ns;
  std::int64_t failed_checks;
};

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// CLOCK_MONOTONIC explicitly (as the anchor's perf_counter): the parent's
// start time and the clients' finish times are compared across processes.
std::int64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// Seconds the box's CPUs spent busy (user, nice, system, irq, softirq).
double busy_seconds() {
  std::ifstream in{"/proc/stat"};
  std::string cpu;
  std::uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0;
  in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq;
  return double(user + nice + system + irq + softirq) / double(::sysconf(_SC_CLK_TCK));
}

// The anchor's wait_quiet(), so both sides are measured alike on a shared
// box: before the start signal, wait (at most max_wait_s) until the CPU use
// of the whole box over 0.3 s is at most threshold_pct of all CPUs.
void wait_for_quiet_box(int max_wait_s, double threshold_pct) {
  const auto ncpu = double(::sysconf(_SC_NPROCESSORS_ONLN));
  const auto begin_ns = monotonic_ns();
  for (;;) {
    const auto busy0 = busy_seconds();
    const auto t0 = monotonic_ns();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const auto pct = 100.0 * (busy_seconds() - busy0) / (ncpu * double(monotonic_ns() - t0) / 1e9);
    const auto waited_s = double(monotonic_ns() - begin_ns) / 1e9;
    if (pct <= threshold_pct || waited_s >= max_wait_s) {
      if (waited_s > 1.0)
        std::cerr << "    waited " << std::fixed << std::setprecision(1) << waited_s
                  << " s for a quiet box (busy now " << std::setprecision(0) << pct << "%)\n";
      return;
    }
  }
}

// ---------------------------------------------------------------------------
// The start line:
//   ready  client -> parent, one byte once connected and warmed up
//   go     parent -> client, one byte per client: the start signal
//   done   client -> parent, one client_report (atomic: < PIPE_BUF)
// ---------------------------------------------------------------------------

void close_fd(int& fd) {
  if (fd >= 0)
    ::close(fd);
  fd = -1;
}

/// Moves `size` bytes through `io` (::read or ::write), retrying short and
/// interrupted calls; false when it meets end of file.
template <class Byte, class Io>
bool move_exactly(int fd, Byte* bytes, std::size_t size, Io io) {
  while (size > 0) {
    auto n = io(fd, bytes, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      throw_errno("read or write on a start-line pipe");
    if (n == 0)
      return false;
    bytes += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

void write_exactly(int fd, const void* data, std::size_t size) {
  if (!move_exactly(fd, static_cast<const char*>(data), size, ::write))
    throw std::runtime_error("a start-line pipe took no more bytes");
}

/// False on end of file (every writer gone).
bool read_exactly(int fd, void* data, std::size_t size) {
  return move_exactly(fd, static_cast<char*>(data), size, ::read);
}

/// The pipes, owned by the parent.
class start_line {
public:
  start_line() {
    if (::pipe(fds_.ready) != 0 || ::pipe(fds_.go) != 0 || ::pipe(fds_.done) != 0) {
      std::system_error failure{errno, std::generic_category(),
                                "cannot create the start-line pipes"};
      close_all();
      throw failure;
    }
  }

  ~start_line() { close_all(); }

  start_line(const start_line&) = delete;
  start_line& operator=(const start_line&) = delete;

  const line_fds& fds() const { return fds_; }

  /// Once every client is forked: drops the clients' write ends, so that
  /// clients which all died show as end of file. The read end of go stays
  /// open: the start signal never meets a pipe without readers (SIGPIPE).
  void clients_started() {
    close_fd(fds_.ready[1]);
    close_fd(fds_.done[1]);
  }

private:
  void close_all() {
    for (int* pair : {fds_.ready, fds_.go, fds_.done}) {
      close_fd(pair[0]);
      close_fd(pair[1]);
    }
  }

  line_fds fds_;
};

// ---------------------------------------------------------------------------
// Parent side.
// ---------------------------------------------------------------------------

void check_clients(std::vector<cafman::process>& clients) {
  for (auto& p : clients)
    if (!p.is_alive() && *p.exitcode() != 0)
      throw std::runtime_error("client process " + std::to_string(p.pid())
                               + " failed with exit code "
                               + std::to_string(*p.exitcode()));
}

// The live clients keep the pipes open, so one dead client does not show as
// end of file: wait in slices and look for failed clients between them.
// Data arriving ends the wait at once, so timing is not affected.
void await_readable(int fd, std::vector<cafman::process>& clients, int timeout_s) {
  constexpr int slice_ms = 100;
  auto deadline = monotonic_ns() + std::int64_t{timeout_s} * 1'000'000'000;
  pollfd pfd{fd, POLLIN, 0};
  for (;;) {
    int n = ::poll(&pfd, 1, slice_ms);
    if (n > 0)
      return;
    if (n < 0 && errno != EINTR)
      throw_errno("poll");
    check_clients(clients);
    if (monotonic_ns() > deadline)
      throw std::runtime_error("clients did not report within "
                               + std::to_string(timeout_s) + " s");
  }
}

template <class T>
std::vector<T> collect(int fd, std::vector<cafman::process>& clients, int timeout_s) {
  std::vector<T> items(clients.size());
  for (auto& item : items) {
    await_readable(fd, clients, timeout_s);
    if (!read_exactly(fd, &item, sizeof(item)))
      throw std::runtime_error("every client exited before reporting");
  }
  return items;
}

timed_run measure(const start_line& line, std::vector<cafman::process>& clients,
                  const bench_options& opts) {
  collect<char>(line.fds().ready[0], clients, opts.timeout_s);
  if (opts.quiet_wait_s > 0)
    wait_for_quiet_box(opts.quiet_wait_s, opts.quiet_threshold_pct);
  const auto start_ns = monotonic_ns();
  const std::string start_signal(clients.size(), '\1');
  write_exactly(line.fds().go[1], start_signal.data(), start_signal.size());
  const auto reports = collect<client_report>(line.fds().done[0], clients, opts.timeout_s);
  std::int64_t last_ns = start_ns;
  timed_run run{0.0, 0};
  for (const auto& r : reports) {
    last_ns = std::max(last_ns, r.finished_ns);
    run.failed_checks += r.failed_checks;
  }
  run.elapsed_s = double(last_ns - start_ns) / 1e9;
  return run;
}

} // namespace

// ---------------------------------------------------------------------------
// Client side (runs in a cafman::process child).
// ---------------------------------------------------------------------------

void client_main(const client_args& args, const std::function<timed_loop()>& prepare) {
  // The parent's ends go, so that the parent's death ends the wait for go.
  auto line = args.line;
  close_fd(line.ready[0]);
  close_fd(line.go[1]);
  close_fd(line.done[0]);
  const auto loop = prepare();
  char byte = 1;
  write_exactly(line.ready[1], &byte, 1);
  if (!read_exactly(line.go[0], &byte, 1))
    throw std::runtime_error("the parent went away before the start signal");
  client_report report{};
  report.failed_checks = loop();
  report.finished_ns = monotonic_ns();
  write_exactly(line.done[1], &report, sizeof(report));
}

void run_on_cpu(int cpu) {
  if (cpu < 0)
    return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (::sched_setaffinity(0, sizeof(set), &set) != 0)
    throw std::system_error(errno, std::generic_category(),
                            "cannot run on CPU " + std::to_string(cpu));
}

timed_run run_clients(const std::vector<client_role>& roles, const bench_options& opts,
                      const client_spawner& spawn) {
  start_line line;
  std::vector<cafman::process> clients;
  try {
    for (const auto& who : roles)
      clients.push_back(spawn(client_args{who, opts.ops, line.fds()}));
    line.clients_started();
    auto run = measure(line, clients, opts);
    for (auto& p : clients)
      p.join();
    check_clients(clients);
    return run;
  } catch (...) {
    // Or ~process would wait forever for a client blocked on the start line.
    for (auto& p : clients)
      p.kill();
    throw;
  }
}

} // namespace bench
