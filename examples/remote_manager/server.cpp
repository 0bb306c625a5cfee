// A custom manager program, as Python writes one with BaseManager:
//
//   jobs, results = queue.Queue(), {}
//   class JobManager(BaseManager): pass
//   JobManager.register('get_jobs', callable=lambda: jobs)
//   JobManager.register('get_results', callable=lambda: results)
//   JobManager(address=(host, port), authkey=key).get_server().serve_forever()
//
// Here the objects are published by name; clients (client.cpp) connect and
// call `get<cafman::queue_proxy>("jobs")`. The server holds both objects
// until it stops, whichever clients come and go. It prints exactly
// `remote manager listening on HOST:PORT` and serves until SIGINT/SIGTERM.

#include <iostream>
#include <string>

#include <cafman/cafman.hpp>

#include "examples/command_line.hpp"

int main(int argc, char** argv) {
  po::options_description desc{"remote manager: serves a 'jobs' queue and a 'results' dict.\n"
                               "Options"};
  // clang-format off
  desc.add_options()
    ("host", po::value<std::string>()->default_value("127.0.0.1"), "address to listen on")
    ("port", po::value<std::uint16_t>()->default_value(0), "TCP port (0 = any free port)")
    ("authkey-file", po::value<std::string>()->required(), "file holding the clients' key");
  // clang-format on
  return run_command_line("remote manager", desc, argc, argv, [](const po::variables_map& vm) {
    cafman::server_options opts;
    opts.host = vm["host"].as<std::string>();
    opts.port = vm["port"].as<std::uint16_t>();
    opts.authkey = cafman::authkey::from_file(vm["authkey-file"].as<std::string>());
    cafman::server server{opts};
    server.stop_on_signals();
    server.publish("jobs", "queue");
    server.publish("results", "dict");
    std::cout << "remote manager listening on " << server.host() << ":" << server.port()
              << std::endl;
    server.serve_forever(); // every object is exited when it returns
  });
}
