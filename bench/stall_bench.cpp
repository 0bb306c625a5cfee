// cafman-stall-bench: does a long operation on one object hold up calls on
// other objects? One thread times d[k] = v; d[k] on a dict of its own, first
// alone (the baseline), then while another client's long operation runs on
// another object of the same manager, and prints the latency percentiles of
// both phases and what the long operation added.
//
//   cafman-stall-bench [--scenario custom|sort|copy|value] [--seconds S]
//
// custom: a custom class's method that computes for S seconds.
// sort:   l.sort() of a list of 10 million ints, again and again for S seconds.
// copy:   l.copy() of a list of 10 million ints, again and again for S seconds.
// value:  d[k] = v; d[k] with a 100 MB bytes value, again and again for S seconds.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <boost/program_options.hpp>

#include <cafman/cafman.hpp>

namespace po = boost::program_options;

namespace {

using clock_type = std::chrono::steady_clock;

/// A list of 10 million ints, made in the manager (`l *= 10000`).
cafman::list_proxy ten_million_ints(const cafman::manager& m) {
  auto l = m.list();
  cafman::list_value thousand;
  for (std::int64_t i = 0; i < 1000; ++i)
    thousand.emplace_back((i * 7919) % 1000);
  l.extend(thousand);
  l *= 10000;
  return l;
}

/// Runs `op` again and again until `span` has passed.
template <class Op>
void repeat_for(clock_type::duration span, Op op) {
  for (auto until = clock_type::now() + span; clock_type::now() < until;)
    op();
}

/// A custom class whose one method keeps a core busy for as long as asked.
struct busy {
  std::int64_t work(std::int64_t ms) {
    auto end = clock_type::now() + std::chrono::milliseconds{ms};
    std::int64_t rounds = 0;
    while (clock_type::now() < end)
      ++rounds;
    return rounds;
  }
};

struct percentiles {
  std::size_t calls;
  double p50_us, p99_us, max_us;
};

percentiles summarize(std::vector<double> us) {
  std::sort(us.begin(), us.end());
  auto at = [&](double q) { return us[static_cast<std::size_t>(q * double(us.size() - 1))]; };
  return {us.size(), at(0.5), at(0.99), us.back()};
}

/// Latencies of d[k] = v; d[k] (one sample each) until `stop` or `until`.
std::vector<double> time_calls(const cafman::dict_proxy& d, clock_type::time_point until,
                               const std::atomic<bool>& stop) {
  std::vector<double> us;
  for (std::int64_t i = 0; !stop && clock_type::now() < until; ++i) {
    auto key = "k" + std::to_string(i % 64);
    auto start = clock_type::now();
    d[key] = i;
    auto set_done = clock_type::now();
    d.get(key);
    auto get_done = clock_type::now();
    us.push_back(std::chrono::duration<double, std::micro>(set_done - start).count());
    us.push_back(std::chrono::duration<double, std::micro>(get_done - set_done).count());
  }
  return us;
}

void print(const char* phase, const percentiles& p) {
  std::cout << std::setw(22) << phase << std::setw(10) << p.calls << std::fixed
            << std::setprecision(1) << std::setw(12) << p.p50_us << std::setw(12) << p.p99_us
            << std::setw(14) << p.max_us << "\n";
}

} // namespace

int main(int argc, char** argv) {
  std::string scenario;
  int seconds = 0;
  po::options_description desc{"cafman-stall-bench: latency of calls on one object while "
                               "another object runs a long operation.\nOptions"};
  desc.add_options()("help,h", "print this help and exit")(
      "scenario", po::value(&scenario)->default_value("custom"),
      "custom (a custom method computing for --seconds), sort (l.sort() of 10 million "
      "ints), copy (l.copy() of 10 million ints) or value (set and get of a 100 MB value), "
      "the last three repeated for --seconds")("seconds", po::value(&seconds)->default_value(10),
                                        "length of the long operation, and of the baseline");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
    if (scenario != "custom" && scenario != "sort" && scenario != "copy" && scenario != "value")
      throw po::error("--scenario: '" + scenario + "' is none of custom, sort, copy, value");
    if (seconds < 1)
      throw po::error("--seconds must be at least 1");
  } catch (const po::error& e) {
    std::cerr << "cafman-stall-bench: " << e.what() << "\n" << desc << "\n";
    return 2;
  }
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  try {
    cafman::type_registry types;
    types.add<busy>("Busy").method("work", &busy::work);
    cafman::sync_manager manager{types};
    auto d = manager.dict();
    auto span = std::chrono::seconds{seconds};
    std::atomic<bool> never{false};
    time_calls(d, clock_type::now() + std::chrono::milliseconds{500}, never); // warm-up
    auto alone = summarize(time_calls(d, clock_type::now() + span, never));

    // The long operation runs on its own connection, as another client's.
    auto other = cafman::connect(manager.address(), manager.authkey());
    std::atomic<bool> long_done{false};
    std::atomic<bool> started{false};
    std::thread long_operation;
    if (scenario == "custom") {
      auto b = other.create("Busy");
      long_operation = std::thread{[&, b] {
        started = true;
        b.call<std::int64_t>("work", std::int64_t{seconds} * 1000);
        long_done = true;
      }};
    } else if (scenario == "sort") {
      auto l = ten_million_ints(other);
      long_operation = std::thread{[&, l] {
        started = true;
        bool descending = true;
        repeat_for(span, [&] { l.sort(descending = !descending); });
        long_done = true;
      }};
    } else if (scenario == "copy") {
      auto l = ten_million_ints(other);
      long_operation = std::thread{[&, l] {
        started = true;
        repeat_for(span, [&] { l.copy(); });
        long_done = true;
      }};
    } else {
      auto big = other.dict();
      cafman::value hundred_mb{cafman::bytes_value(100'000'000, 7)};
      long_operation = std::thread{[&, big, hundred_mb = std::move(hundred_mb)] {
        started = true;
        repeat_for(span, [&] {
          big["v"] = hundred_mb;
          big.get("v");
        });
        long_done = true;
      }};
    }
    while (!started)
      std::this_thread::yield();
    auto during = summarize(time_calls(d, clock_type::now() + 2 * span, long_done));
    long_operation.join();

    std::cout << "scenario " << scenario << ": " << seconds
              << " s long operation on another object\n"
              << std::setw(22) << "phase" << std::setw(10) << "calls" << std::setw(12)
              << "p50 us" << std::setw(12) << "p99 us" << std::setw(14) << "max us" << "\n";
    print("alone", alone);
    print("during the long one", during);
    std::cout << std::fixed << std::setprecision(1)
              << R"({"system":"cafman","workload":"stall_)" << scenario
              << R"(","p99_alone_us":)" << alone.p99_us << R"(,"p99_during_us":)"
              << during.p99_us << R"(,"p99_added_ms":)"
              << (during.p99_us - alone.p99_us) / 1000.0 << R"(,"max_during_us":)"
              << during.max_us << "}\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "cafman-stall-bench: " << e.what() << "\n";
    return 1;
  }
}
