// cafman-memory-bench: what a live object costs the manager, whether the
// create rate holds as objects accumulate, and whether the memory comes back
// once they are freed. One client creates --objects empty dicts (holding
// them all), in steps of a tenth, and prints after each step the manager's
// RSS per object so far and that step's create rate; then it drops them all
// and prints the RSS once the manager has let them go.
//
//   cafman-memory-bench [--objects N]   (default 100000)

#include <chrono>
#include <cstdint>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <boost/program_options.hpp>

#include <cafman/cafman.hpp>

namespace po = boost::program_options;

namespace {

/// Resident set of process `pid` in KiB, from /proc/PID/status.
std::uint64_t rss_kib(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/status"};
  std::string key;
  std::uint64_t value = 0;
  while (in >> key) {
    if (key == "VmRSS:") {
      in >> value;
      return value;
    }
    in.ignore(1 << 12, '\n');
  }
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  int objects = 0;
  po::options_description desc{"cafman-memory-bench: manager memory per live object.\nOptions"};
  desc.add_options()("help,h", "print this help and exit")(
      "objects", po::value(&objects)->default_value(100000), "empty dicts to create and hold");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
    if (objects < 10)
      throw po::error("--objects must be at least 10");
  } catch (const po::error& e) {
    std::cerr << "cafman-memory-bench: " << e.what() << "\n" << desc << "\n";
    return 2;
  }
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  try {
    cafman::sync_manager m;
    m.dict(); // warm-up: the first object's one-time costs
    auto before = rss_kib(m.pid());
    std::vector<cafman::dict_proxy> held;
    held.reserve(static_cast<std::size_t>(objects));
    std::cout << std::setw(10) << "objects" << std::setw(14) << "RSS KiB" << std::setw(18)
              << "bytes/object" << std::setw(20) << "creates/s (step)" << "\n";
    double bytes_per_object = 0;
    for (int step = 1; step <= 10; ++step) {
      auto start = std::chrono::steady_clock::now();
      while (static_cast<int>(held.size()) < objects * step / 10)
        held.push_back(m.dict());
      std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
      auto rss = rss_kib(m.pid());
      bytes_per_object = 1024.0 * double(rss - before) / double(held.size());
      std::cout << std::setw(10) << held.size() << std::setw(14) << rss << std::fixed
                << std::setprecision(0) << std::setw(18) << bytes_per_object << std::setw(20)
                << double(objects / 10) / took.count() << "\n";
    }
    auto peak = rss_kib(m.pid());
    held.clear();
    while (m.number_of_objects() > 1)
      std::this_thread::sleep_for(std::chrono::milliseconds(100)); // the releases are one-way
    std::this_thread::sleep_for(std::chrono::seconds(2)); // the manager trims once a second
    auto after = rss_kib(m.pid());
    std::cout << "RSS " << before << " KiB before, " << peak << " KiB with " << objects
              << " objects, " << after << " KiB after they were freed\n"
              << R"({"system":"cafman","workload":"memory","objects":)" << objects
              << R"(,"bytes_per_object":)" << std::setprecision(0) << bytes_per_object
              << R"(,"rss_before_kib":)" << before << R"(,"rss_peak_kib":)" << peak
              << R"(,"rss_after_kib":)" << after << "}\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "cafman-memory-bench: " << e.what() << "\n";
    return 1;
  }
}
