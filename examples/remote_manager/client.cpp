// A client of the remote manager (server.cpp), in one of three roles, as
// separate Python programs would write them:
//
//   m = JobManager(address=(host, port), authkey=key); m.connect()
//   jobs, results = m.get_jobs(), m.get_results()
//   producer: for n in range(1, N + 1): jobs.put(n)
//             then one None per worker ("no more work")
//   worker:   while (n := jobs.get()) is not None: results[n] = n * n
//   report:   print(sorted(results.items()))
//
// Run the producer, any number of workers, then the report: each role
// connects on its own, and the objects live in the server in between.

#include <iostream>
#include <map>
#include <string>

#include <cafman/cafman.hpp>

#include "examples/command_line.hpp"

namespace {

void produce(const cafman::manager& m, int jobs_count, int workers) {
  auto jobs = m.get<cafman::queue_proxy>("jobs");
  for (int n = 1; n <= jobs_count; ++n)
    jobs.put(n);
  for (int i = 0; i < workers; ++i)
    jobs.put(cafman::none);
}

void work(const cafman::manager& m) {
  auto jobs = m.get<cafman::queue_proxy>("jobs");
  auto results = m.get<cafman::dict_proxy>("results");
  for (auto n = jobs.get(); !n.is_none(); n = jobs.get())
    results[n] = n.as_int() * n.as_int();
}

void report(const cafman::manager& m) {
  auto done = m.get<cafman::dict_proxy>("results").copy();
  // Workers finish in any order: print by job.
  std::map<cafman::value, cafman::value> by_job(done.begin(), done.end());
  std::cout << "Results: " << cafman::value{by_job} << "\n"
            << "Left in queue: " << m.get<cafman::queue_proxy>("jobs").qsize() << "\n";
}

} // namespace

int main(int argc, char** argv) {
  po::options_description desc{"remote manager client.\nOptions"};
  // clang-format off
  desc.add_options()
    ("address", po::value<std::string>()->required(), "HOST:PORT the server printed")
    ("authkey-file", po::value<std::string>()->required(), "file holding the server's key")
    ("role", po::value<std::string>()->required(), "producer, worker or report")
    ("jobs", po::value<int>()->default_value(10), "producer: jobs to put (1..N)")
    ("workers", po::value<int>()->default_value(2), "producer: workers to stop at the end");
  // clang-format on
  return run_command_line(
      "remote manager client", desc, argc, argv, [](const po::variables_map& vm) {
        auto role = vm["role"].as<std::string>();
        if (role != "producer" && role != "worker" && role != "report")
          throw po::error("--role must be producer, worker or report, not '" + role + "'");
        auto m = cafman::connect(vm["address"].as<std::string>(),
                                 cafman::authkey::from_file(vm["authkey-file"].as<std::string>()));
        if (role == "producer")
          produce(m, vm["jobs"].as<int>(), vm["workers"].as<int>());
        else if (role == "worker")
          work(m);
        else
          report(m);
      });
}
