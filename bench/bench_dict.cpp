// cafman-bench: the "dict_set_get" workload of the anchor benchmarks
// (/work/shared/bench/bench_anchors.py, mgr_dict_set_get), run against
// cafman so that both can be compared by ratio.
//
// N client processes connect to ONE manager and warm up (first call made)
// before a common start signal; the rate is
//   total units / (last client finished - start signal),
// one unit being `d[k] = v; d[k]` (2 calls). Each client cycles over 64 keys
// "k<cid>_<j>" whose values alternate between int j and str "v<j>".
// Like the anchor, each run first waits for a quiet box (--quiet-wait), as
// the CPUs may be shared with other work.

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <poll.h>
#include <time.h>
#include <unistd.h>

#include <boost/program_options.hpp>

#include <cafman/cafman.hpp>

namespace po = boost::program_options;

namespace {

constexpr int calls_per_unit = 2;
constexpr int keys_per_client = 64;

struct bench_options {
  std::vector<int> clients;
  int ops = 0;
  int repeats = 0;
  int timeout_s = 0;
  int quiet_wait_s = 0;
  double quiet_threshold_pct = 0;
  std::size_t server_threads = 0;
  std::size_t client_threads = 0;
};

/// What a client sends when its loop is done.
struct client_report {
  std::int64_t finished_ns;
  std::int64_t bad_reads;
};

struct run_result {
  double units_per_s;
  std::int64_t bad_reads;
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
// The start line: three pipes, inherited by the clients through fork (as
// with Python's fork start method, cafman::process keeps user descriptors).
//   ready  client -> parent, one byte once connected and warmed up
//   go     parent -> client, one byte per client: the start signal
//   done   client -> parent, one client_report (atomic: < PIPE_BUF)
// ---------------------------------------------------------------------------

void close_fd(int& fd) {
  if (fd >= 0)
    ::close(fd);
  fd = -1;
}

void write_exactly(int fd, const void* data, std::size_t size) {
  auto bytes = static_cast<const char*>(data);
  while (size > 0) {
    auto n = ::write(fd, bytes, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      throw_errno("write to a start-line pipe");
    bytes += n;
    size -= static_cast<std::size_t>(n);
  }
}

/// False on end of file (every writer gone).
bool read_exactly(int fd, void* data, std::size_t size) {
  auto bytes = static_cast<char*>(data);
  while (size > 0) {
    auto n = ::read(fd, bytes, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      throw_errno("read from a start-line pipe");
    if (n == 0)
      return false;
    bytes += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

/// The descriptor numbers, copied into each client's arguments.
struct line_fds {
  int ready[2] = {-1, -1};
  int go[2] = {-1, -1};
  int done[2] = {-1, -1};
};

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
// Client side (runs in a cafman::process child).
// ---------------------------------------------------------------------------

struct client_args {
  int cid;
  int ops;
  line_fds line;
};

std::vector<cafman::value> client_keys(int cid) {
  std::vector<cafman::value> keys;
  for (int j = 0; j < keys_per_client; ++j)
    keys.emplace_back("k" + std::to_string(cid) + "_" + std::to_string(j));
  return keys;
}

std::vector<cafman::value> client_values() {
  std::vector<cafman::value> values;
  for (int j = 0; j < keys_per_client; ++j)
    values.push_back(j % 2 == 0 ? cafman::value{j} : cafman::value{"v" + std::to_string(j)});
  return values;
}

/// The timed loop; returns how many reads did not see the value just set.
std::int64_t set_get_loop(const cafman::dict_proxy& d, int cid, int ops) {
  const auto keys = client_keys(cid);
  const auto values = client_values();
  std::int64_t bad = 0;
  for (int i = 0; i < ops; ++i) {
    const auto& k = keys[i & (keys_per_client - 1)];
    const auto& v = values[i & (keys_per_client - 1)];
    d.set(k, v);
    if (d.get(k) != v)
      ++bad;
  }
  return bad;
}

void run_client(cafman::dict_proxy d, const client_args& args) {
  // The parent's ends go, so that the parent's death ends the wait for go.
  auto line = args.line;
  close_fd(line.ready[0]);
  close_fd(line.go[1]);
  close_fd(line.done[0]);
  // Warm-up as in the anchor: the connection is up and one call made.
  const auto k0 = client_keys(args.cid).front();
  const auto v0 = client_values().front();
  d.set(k0, v0);
  d.get(k0);
  char byte = 1;
  write_exactly(line.ready[1], &byte, 1);
  if (!read_exactly(line.go[0], &byte, 1))
    throw std::runtime_error("the parent went away before the start signal");
  client_report report{};
  report.bad_reads = set_get_loop(d, args.cid, args.ops);
  report.finished_ns = monotonic_ns();
  write_exactly(line.done[1], &report, sizeof(report));
}

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

run_result measure(const start_line& line, std::vector<cafman::process>& clients,
                   const bench_options& opts) {
  collect<char>(line.fds().ready[0], clients, opts.timeout_s);
  if (opts.quiet_wait_s > 0)
    wait_for_quiet_box(opts.quiet_wait_s, opts.quiet_threshold_pct);
  const auto start_ns = monotonic_ns();
  const std::string start_signal(clients.size(), '\1');
  write_exactly(line.fds().go[1], start_signal.data(), start_signal.size());
  const auto reports = collect<client_report>(line.fds().done[0], clients, opts.timeout_s);
  std::int64_t last_ns = start_ns;
  run_result result{0.0, 0};
  for (const auto& r : reports) {
    last_ns = std::max(last_ns, r.finished_ns);
    result.bad_reads += r.bad_reads;
  }
  const double units = double(opts.ops) * double(clients.size());
  result.units_per_s = units / (double(last_ns - start_ns) / 1e9);
  return result;
}

run_result run_once(const cafman::sync_manager& manager, int n_clients,
                    const bench_options& opts) {
  // A fresh dict per run, as the anchor's setup() makes one per run.
  auto d = manager.dict();
  start_line line;
  std::vector<cafman::process> clients;
  try {
    for (int cid = 0; cid < n_clients; ++cid)
      clients.emplace_back(run_client, d, client_args{cid, opts.ops, line.fds()});
    line.clients_started();
    auto result = measure(line, clients, opts);
    for (auto& p : clients)
      p.join();
    check_clients(clients);
    return result;
  } catch (...) {
    // Or ~process would wait forever for a client blocked on the start line.
    for (auto& p : clients)
      p.kill();
    throw;
  }
}

double median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  auto mid = xs.size() / 2;
  return xs.size() % 2 == 1 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

struct series_result {
  int clients;
  double units_per_s;  // median over repeats
  double spread_pct;   // (max - min) / median
  std::int64_t bad_reads;
};

series_result run_series(const cafman::sync_manager& manager, int n_clients,
                         const bench_options& opts) {
  std::vector<double> rates;
  std::int64_t bad = 0;
  for (int r = 1; r <= opts.repeats; ++r) {
    auto result = run_once(manager, n_clients, opts);
    std::cerr << "  clients=" << n_clients << " run " << r << ": units/s="
              << std::fixed << std::setprecision(0) << result.units_per_s
              << " calls/s=" << result.units_per_s * calls_per_unit
              << " bad_reads=" << result.bad_reads << "\n";
    rates.push_back(result.units_per_s);
    bad += result.bad_reads;
  }
  auto med = median(rates);
  auto [lo, hi] = std::minmax_element(rates.begin(), rates.end());
  return {n_clients, med, 100.0 * (*hi - *lo) / med, bad};
}

void print_table(const std::vector<series_result>& results, const bench_options& opts) {
  std::cout << "dict_set_get: " << opts.ops << " units/client, median of " << opts.repeats
            << " runs\n"
            << std::setw(8) << "clients" << std::setw(16) << "units/s" << std::setw(16)
            << "calls/s" << std::setw(10) << "spread" << std::setw(11) << "bad_reads"
            << "\n";
  for (const auto& s : results)
    std::cout << std::setw(8) << s.clients << std::fixed << std::setprecision(0)
              << std::setw(16) << s.units_per_s << std::setw(16)
              << s.units_per_s * calls_per_unit << std::setprecision(1) << std::setw(9)
              << s.spread_pct << "%" << std::setw(11) << s.bad_reads << "\n";
}

void print_json(const std::vector<series_result>& results, const bench_options& opts) {
  for (const auto& s : results)
    std::cout << std::fixed << std::setprecision(1)
              << R"({"system":"cafman","workload":"dict_set_get","clients":)" << s.clients
              << R"(,"ops_per_client":)" << opts.ops << R"(,"repeats":)" << opts.repeats
              << R"(,"units_per_s":)" << s.units_per_s << R"(,"calls_per_s":)"
              << s.units_per_s * calls_per_unit << R"(,"spread_pct":)" << s.spread_pct
              << R"(,"bad_reads":)" << s.bad_reads << "}\n";
}

std::vector<int> parse_clients(const std::string& list) {
  std::vector<int> out;
  std::stringstream in{list};
  std::string item;
  while (std::getline(in, item, ',')) {
    std::size_t used = 0;
    int n = 0;
    try {
      n = std::stoi(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || n < 1)
      throw po::error("--clients: '" + item + "' is not a positive integer");
    out.push_back(n);
  }
  if (out.empty())
    throw po::error("--clients: empty list");
  return out;
}

/// Parsed options, or nothing after --help.
std::optional<bench_options> parse_options(int argc, char** argv) {
  po::options_description desc{"cafman-bench: the anchor benchmarks' dict_set_get against cafman.\n"
                               "Options"};
  std::string clients;
  std::string workload;
  bench_options opts;
  desc.add_options()
    ("help,h", "print this help and exit")
    ("clients", po::value(&clients)->default_value("1,4"), "comma list of client process counts")
    ("ops", po::value(&opts.ops)->default_value(20000), "units per client per run")
    ("repeats", po::value(&opts.repeats)->default_value(3), "runs per client count")
    ("workload", po::value(&workload)->default_value("dict_set_get"),
     "workload (only dict_set_get)")
    ("server-threads", po::value(&opts.server_threads)->default_value(2),
     "scheduler threads of the manager process")
    ("client-threads", po::value(&opts.client_threads)->default_value(1),
     "scheduler threads of each client's connection")
    ("timeout", po::value(&opts.timeout_s)->default_value(300),
     "seconds to wait for the clients' reports in one run")
    ("quiet-wait", po::value(&opts.quiet_wait_s)->default_value(30),
     "before each run wait up to this many seconds for a quiet box (0 = never), as the anchor")
    ("quiet-threshold", po::value(&opts.quiet_threshold_pct)->default_value(10.0),
     "a quiet box uses at most this percentage of all CPUs");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return std::nullopt;
    }
    if (workload != "dict_set_get")
      throw po::error("--workload: only dict_set_get is implemented");
    if (opts.ops < 1 || opts.repeats < 1 || opts.timeout_s < 1 || opts.quiet_wait_s < 0)
      throw po::error("--ops, --repeats and --timeout must be at least 1, --quiet-wait at least 0");
    if (opts.server_threads < 1 || opts.client_threads < 1)
      throw po::error("--server-threads and --client-threads must be at least 1");
    opts.clients = parse_clients(clients);
  } catch (const po::error& e) {
    std::cerr << "cafman-bench: " << e.what() << "\n" << desc << "\n";
    std::exit(2);
  }
  return opts;
}

} // namespace

int main(int argc, char** argv) {
  auto opts = parse_options(argc, argv);
  if (!opts)
    return 0;
  try {
    cafman::sync_manager_options mopts;
    mopts.server_threads = opts->server_threads;
    mopts.connection.threads = opts->client_threads;
    cafman::sync_manager manager{mopts};
    std::vector<series_result> results;
    for (int n : opts->clients)
      results.push_back(run_series(manager, n, *opts));
    print_table(results, *opts);
    print_json(results, *opts);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "cafman-bench: " << e.what() << "\n";
    return 1;
  }
}
