// cafman-cluster-bench: throughput of one workload over a cluster of 1, 2
// and 4 manager nodes (net/cluster.hpp), in one run. Each client process
// makes its own dict, which the cluster places round robin, and runs
// d[k] = v; d[k] on it; the figure is the calls of all clients over the
// slowest client's loop time, and the ratio to one node.
//
// The nodes, the clients and this program share one machine: on 2 cores
// the figure shows what the cluster costs, not what more hosts would add.

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include <unistd.h>

#include <cafman/cafman.hpp>

namespace po = boost::program_options;

namespace {

struct options {
  std::vector<int> node_counts{1, 2, 4};
  int clients = 4;
  int ops = 20000;
  int repeats = 3;
};

// One client: its own dict on the node the cluster picks; the loop's
// seconds go to `report` (one write of a double is atomic on a pipe).
void client(cafman::manager m, int ops, int report) {
  auto d = m.dict();
  d.set("warm", 0);
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < ops; ++i) {
    cafman::value key{i & 63};
    d.set(key, i);
    if (d.get(key) != cafman::value{i})
      std::_Exit(3);
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (::write(report, &seconds, sizeof seconds) != sizeof seconds)
    std::_Exit(4);
}

// Calls per second of one run over a cluster of `nodes` managers.
double run_once(const std::vector<std::unique_ptr<cafman::sync_manager>>& nodes,
                const options& opts) {
  int report[2];
  if (::pipe(report) != 0)
    throw std::runtime_error("cannot make a pipe");
  auto m = cafman::connect(nodes[0]->address(), nodes[0]->authkey());
  std::vector<cafman::process> clients;
  for (int c = 0; c < opts.clients; ++c)
    clients.emplace_back(client, m, opts.ops, report[1]);
  double slowest = 0;
  for (auto& p : clients) {
    p.join();
    if (p.exitcode() != 0)
      throw std::runtime_error("a client failed (exit code " + std::to_string(p.exitcode().value_or(-1))
                               + ")");
    double seconds = 0;
    if (::read(report[0], &seconds, sizeof seconds) != sizeof seconds)
      throw std::runtime_error("a client did not report");
    slowest = std::max(slowest, seconds);
  }
  ::close(report[0]);
  ::close(report[1]);
  return 2.0 * opts.ops * opts.clients / slowest;
}

double median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  return xs[xs.size() / 2];
}

} // namespace

int main(int argc, char** argv) {
  options opts;
  po::options_description desc{"cafman-cluster-bench: dict calls/s over 1, 2 and 4 nodes"};
  desc.add_options()
    ("help,h", "print this help and exit")
    ("nodes", po::value(&opts.node_counts)->multitoken(), "node counts (default: 1 2 4)")
    ("clients", po::value(&opts.clients)->default_value(4), "client processes")
    ("ops", po::value(&opts.ops)->default_value(20000), "d[k] = v; d[k] per client")
    ("repeats", po::value(&opts.repeats)->default_value(3), "runs per node count");
  try {
    po::variables_map vm;
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return 0;
    }
    if (opts.clients < 1 || opts.ops < 1 || opts.repeats < 1 || opts.node_counts.empty())
      throw po::error("--clients, --ops, --repeats and --nodes must be at least 1");
  } catch (const po::error& e) {
    std::cerr << "cafman-cluster-bench: " << e.what() << "\n" << desc << "\n";
    return 2;
  }
  try {
    std::cout << opts.clients << " clients, each d[k] = v; d[k] on a dict of its own, median of "
              << opts.repeats << " runs\n"
              << std::setw(6) << "nodes" << std::setw(14) << "calls/s" << std::setw(10)
              << "x 1 node" << "\n";
    double one_node = 0;
    for (int n : opts.node_counts) {
      cafman::sync_manager_options mopts;
      mopts.unix_socket = false; // nodes reach each other over TCP
      std::vector<std::unique_ptr<cafman::sync_manager>> nodes;
      for (int i = 0; i < n; ++i) {
        mopts.authkey = nodes.empty() ? cafman::authkey::random() : nodes[0]->authkey();
        nodes.push_back(std::make_unique<cafman::sync_manager>(mopts));
      }
      std::vector<std::string> addresses;
      for (auto& node : nodes)
        addresses.push_back(node->address());
      if (n > 1)
        cafman::create_cluster(addresses, nodes[0]->authkey());
      std::vector<double> rates;
      for (int r = 0; r < opts.repeats; ++r)
        rates.push_back(run_once(nodes, opts));
      auto rate = median(rates);
      if (one_node == 0)
        one_node = rate;
      std::cout << std::setw(6) << n << std::setw(14) << std::fixed << std::setprecision(0)
                << rate << std::setw(10) << std::setprecision(2) << rate / one_node << "\n";
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "cafman-cluster-bench: " << e.what() << "\n";
    return 1;
  }
}
