// cafman-bench: the workloads of the Python benchmark
// (bench/anchors.py runs them on Python's manager and on Redis) against cafman, so
// that both can be compared by ratio: dict_set_get (the default),
// lock_acquire_release ("lock" for short), queue_throughput,
// create_destroy ("create") and value_1mib ("value"); see
// workloads.hpp and, for how a run is started and timed, harness.hpp.
//
// For each client count N: --repeats runs against ONE manager, each with a
// fresh shared object; rate = N * ops units / (last client finished - start
// signal). Like the anchor, each run first waits for a quiet box
// (--quiet-wait), as the CPUs may be shared with other work.

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include <unistd.h>

#include <cafman/cafman.hpp>

#include "harness.hpp"
#include "throwaway_pki.hpp"
#include "workloads.hpp"

namespace po = boost::program_options;

namespace {

using bench::bench_options;
using bench::workload;

struct known_workload {
  const char* alias; // accepted by --workload besides the anchor's name
  const workload* w;
};

const known_workload known_workloads[] = {
  {nullptr, &bench::dict_set_get},
  {"lock", &bench::lock_acquire_release},
  {nullptr, &bench::queue_throughput},
  {"create", &bench::create_destroy},
  {"value", &bench::value_1mib},
  {nullptr, &bench::dict_pipelined},
  {nullptr, &bench::dict_batched},
  {nullptr, &bench::dict_connections},
};

const workload* find_workload(const std::string& name) {
  for (const auto& k : known_workloads)
    if (name == k.w->name || (k.alias != nullptr && name == k.alias))
      return k.w;
  return nullptr;
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
  std::int64_t failed_checks;
  double server_us_per_call; // the manager process's CPU time per call, median
};

/// CPU seconds (user + system) process `pid` has used so far, from
/// /proc/PID/stat; 0 where that cannot be read.
double cpu_seconds(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
  std::string text{std::istreambuf_iterator<char>{in}, {}};
  auto fields = text.rfind(')'); // the command name may hold spaces
  if (fields == std::string::npos)
    return 0;
  std::istringstream rest{text.substr(fields + 2)};
  std::string skip;
  double user = 0, system = 0;
  for (int i = 3; i < 14; ++i) // fields 3 .. 13, then utime (14) and stime (15)
    rest >> skip;
  rest >> user >> system;
  return (user + system) / double(::sysconf(_SC_CLK_TCK));
}

series_result run_series(const workload& w, const cafman::sync_manager& manager, int n_clients,
                         const bench_options& opts) {
  std::vector<double> rates;
  std::vector<double> server_us;
  std::int64_t failed = 0;
  for (int r = 1; r <= opts.repeats; ++r) {
    auto cpu_before = cpu_seconds(manager.pid());
    auto run = w.run_once(manager, n_clients, opts);
    const double units = double(opts.ops) * (w.one_client ? 1 : n_clients);
    const double units_per_s = units / run.elapsed_s;
    server_us.push_back(1e6 * (cpu_seconds(manager.pid()) - cpu_before) /
                        (units * w.calls_per_unit));
    std::cerr << "  " << w.name << " clients=" << n_clients << " run " << r << ": units/s="
              << std::fixed << std::setprecision(0) << units_per_s
              << " calls/s=" << units_per_s * w.calls_per_unit << " " << w.check << "="
              << run.failed_checks << "\n";
    rates.push_back(units_per_s);
    failed += run.failed_checks;
  }
  auto med = median(rates);
  auto [lo, hi] = std::minmax_element(rates.begin(), rates.end());
  return {n_clients, med, 100.0 * (*hi - *lo) / med, failed, median(server_us)};
}

void print_table(const workload& w, const std::vector<series_result>& results,
                 const bench_options& opts) {
  std::cout << w.name << " (unit = " << w.unit << "): " << opts.ops
            << " units/client, median of " << opts.repeats << " runs\n"
            << std::setw(8) << "clients" << std::setw(16) << "units/s" << std::setw(16)
            << "calls/s" << std::setw(10) << "spread" << std::setw(15) << w.check
            << std::setw(22) << "server CPU us/call" << "\n";
  for (const auto& s : results)
    std::cout << std::setw(8) << s.clients << std::fixed << std::setprecision(0)
              << std::setw(16) << s.units_per_s << std::setw(16)
              << s.units_per_s * w.calls_per_unit << std::setprecision(1) << std::setw(9)
              << s.spread_pct << "%" << std::setw(15) << s.failed_checks << std::setprecision(2)
              << std::setw(22) << s.server_us_per_call << "\n";
}

void print_json(const workload& w, const std::vector<series_result>& results,
                const bench_options& opts) {
  for (const auto& s : results)
    std::cout << std::fixed << std::setprecision(1)
              << R"({"system":"cafman","workload":")" << w.name << R"(","clients":)"
              << s.clients << R"(,"ops_per_client":)" << opts.ops << R"(,"repeats":)"
              << opts.repeats << R"(,"units_per_s":)" << s.units_per_s
              << R"(,"calls_per_s":)" << s.units_per_s * w.calls_per_unit
              << R"(,"spread_pct":)" << s.spread_pct << R"(,")" << w.check
              << R"(":)" << s.failed_checks << R"(,"server_cpu_us_per_call":)"
              << std::setprecision(2) << s.server_us_per_call << "}\n";
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

struct parsed_options {
  const workload* w;
  bench_options opts;
};

/// Parsed options, or nothing after --help.
std::optional<parsed_options> parse_options(int argc, char** argv) {
  po::options_description desc{"cafman-bench: the anchor benchmarks' workloads against cafman.\n"
                               "Options"};
  std::string clients;
  std::string workload_name;
  std::string transport;
  bench_options opts;
  desc.add_options()
    ("help,h", "print this help and exit")
    ("clients", po::value(&clients)->default_value("1,4"),
     "comma list of client counts (queue_throughput: N producers and N consumers)")
    ("ops", po::value(&opts.ops), "units per client per run (default 20000; value_1mib: 200)")
    ("repeats", po::value(&opts.repeats)->default_value(3), "runs per client count")
    ("workload", po::value(&workload_name)->default_value("dict_set_get"),
     "dict_set_get, lock_acquire_release (or lock), queue_throughput, create_destroy (or "
     "create), value_1mib (or value), dict_pipelined or dict_batched (one client, "
     "--clients is the number of calls in flight), dict_connections (one client, --clients "
     "is the number of its connections, one call in flight on each)")
    ("server-threads", po::value(&opts.server_threads)->default_value(2),
     "scheduler threads of the manager process")
    ("transport", po::value(&transport)->default_value("unix"),
     "how clients reach the manager: unix (a Unix-domain socket, sync_manager's default), "
     "tcp (127.0.0.1) or tls (TCP with TLS, throwaway certificates made with openssl)")
    ("client-threads", po::value(&opts.client_threads)->default_value(1),
     "scheduler threads of each client's connection")
    ("spin-us", po::value(&opts.spin_us)->default_value(
                    static_cast<int>(cafman::connection_options{}.spin.count())),
     "how long a client's blocking call waits for its reply before it sleeps, in "
     "microseconds (connection_options::spin; 0 = never)")
    ("server-cpu", po::value(&opts.server_cpu)->default_value(-1),
     "run the manager process on this CPU only (-1: anywhere)")
    ("client-cpu", po::value(&opts.client_cpu)->default_value(-1),
     "run the client processes on this CPU only (-1: anywhere)")
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
    const workload* w = find_workload(workload_name);
    if (w == nullptr)
      throw po::error("--workload: unknown workload '" + workload_name + "'");
    if (!vm.count("ops"))
      opts.ops = w->default_ops;
    if (opts.ops < 1 || opts.repeats < 1 || opts.timeout_s < 1 || opts.quiet_wait_s < 0)
      throw po::error("--ops, --repeats and --timeout must be at least 1, --quiet-wait at least 0");
    if (opts.server_threads < 1 || opts.client_threads < 1)
      throw po::error("--server-threads and --client-threads must be at least 1");
    if (opts.spin_us < 0)
      throw po::error("--spin-us must be at least 0");
    if (opts.server_cpu < -1 || opts.client_cpu < -1
        || (opts.server_cpu < 0) != (opts.client_cpu < 0))
      throw po::error("--server-cpu and --client-cpu go together, each a CPU number");
    if (transport != "unix" && transport != "tcp" && transport != "tls")
      throw po::error("--transport: '" + transport + "' is none of unix, tcp and tls");
    opts.unix_socket = transport == "unix";
    opts.tls = transport == "tls";
    opts.clients = parse_clients(clients);
    return parsed_options{w, opts};
  } catch (const po::error& e) {
    std::cerr << "cafman-bench: " << e.what() << "\n" << desc << "\n";
    std::exit(2);
  }
}

} // namespace

int main(int argc, char** argv) {
  auto parsed = parse_options(argc, argv);
  if (!parsed)
    return 0;
  const auto& [w, opts] = *parsed;
  try {
    cafman::sync_manager_options mopts;
    mopts.server_threads = opts.server_threads;
    mopts.connection.threads = opts.client_threads;
    mopts.connection.spin = std::chrono::microseconds{opts.spin_us};
    mopts.unix_socket = opts.unix_socket;
    std::optional<bench::throwaway_pki> pki;
    if (opts.tls) {
      pki.emplace();
      mopts.tls = pki->options("server");
      mopts.connection.tls = pki->options("client");
    }
    // The manager is forked now, the clients later, each inheriting the CPU
    // this thread may run on at the time.
    bench::run_on_cpu(opts.server_cpu);
    cafman::sync_manager manager{mopts};
    bench::run_on_cpu(opts.client_cpu);
    std::vector<series_result> results;
    for (int n : opts.clients)
      results.push_back(run_series(*w, manager, n, opts));
    print_table(*w, results, opts);
    print_json(*w, results, opts);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "cafman-bench: " << e.what() << "\n";
    return 1;
  }
}
