// cafman-server: a standalone manager server. Prints exactly one line when
// ready (`cafman-server listening on HOST:PORT`) and serves until SIGINT,
// SIGTERM or a client's shutdown request. `--publish jobs=queue` serves a
// named object (see docs/remote-manager.md).

#include <chrono>
#include <iostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <boost/program_options.hpp>

#include "cafman/errors.hpp"
#include "net/server.hpp"
#include "net/socket.hpp"

namespace po = boost::program_options;

namespace {

cafman::authkey authkey_from(const po::variables_map& vm) {
  if (vm.count("authkey-file"))
    return cafman::authkey::from_file(vm["authkey-file"].as<std::string>());
  if (auto key = cafman::authkey::from_env("CAFMAN_AUTHKEY"))
    return *key;
  throw cafman::error("no authkey: pass --authkey-file FILE or set CAFMAN_AUTHKEY");
}

void log_to_stderr(cafman::log_level, const std::string& line) {
  std::cerr << "cafman-server: " << line << "\n";
}

using publication = std::pair<std::string, std::string>; // name, type id

// Checks every NAME=TYPE before the server starts, so that a typo is a
// usage error (exit 2), not a half-published server.
std::vector<publication> publications_from(const po::variables_map& vm,
                                           const cafman::type_table& types) {
  std::vector<publication> result;
  if (!vm.count("publish"))
    return result;
  std::set<std::string> seen;
  for (auto& spec : vm["publish"].as<std::vector<std::string>>()) {
    auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
      throw po::error("--publish " + spec + ": expected NAME=TYPE, e.g. --publish jobs=queue");
    auto name = spec.substr(0, eq);
    auto type = spec.substr(eq + 1);
    if (types.count(type) == 0) {
      std::string known;
      for (auto& entry : types)
        known += (known.empty() ? "" : ", ") + entry.first;
      throw po::error("--publish " + spec + ": no type '" + type + "' (known: " + known + ")");
    }
    if (!seen.insert(name).second)
      throw po::error("--publish " + spec + ": the name '" + name + "' is published twice");
    result.emplace_back(std::move(name), std::move(type));
  }
  return result;
}

} // namespace

int main(int argc, char** argv) {
  po::options_description desc{"cafman-server: serves shared objects to cafman clients.\n"
                               "Options"};
  desc.add_options()
    ("help,h", "print this help and exit")
    ("host", po::value<std::string>()->default_value("127.0.0.1"), "address to listen on")
    ("port", po::value<std::uint16_t>()->default_value(0), "TCP port (0 = any free port)")
    ("authkey-file", po::value<std::string>(),
     "file holding the key clients must prove (default: $CAFMAN_AUTHKEY)")
    ("threads", po::value<std::size_t>()->default_value(2), "scheduler threads")
    ("handshake-timeout", po::value<unsigned>()->default_value(2000),
     "milliseconds a connection has to prove the key and choose its stream; then it is closed")
    ("max-pending-handshakes", po::value<std::size_t>()->default_value(10000),
     "connections in their handshake at once; more are closed at once")
    ("max-pending-per-address", po::value<std::size_t>()->default_value(32),
     "the same, from one source address")
    ("publish", po::value<std::vector<std::string>>()->composing(),
     "NAME=TYPE: serve a new object of TYPE (queue, dict, ...) as NAME, for clients' "
     "get<Proxy>(NAME); repeatable");
  try {
    po::variables_map vm;
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return 0;
    }
    cafman::server_options opts;
    auto publications = publications_from(vm, opts.types);
    opts.host = vm["host"].as<std::string>();
    opts.port = vm["port"].as<std::uint16_t>();
    opts.authkey = authkey_from(vm);
    opts.threads = vm["threads"].as<std::size_t>();
    if (opts.threads == 0)
      throw cafman::error("--threads must be at least 1");
    opts.handshake_timeout = std::chrono::milliseconds{vm["handshake-timeout"].as<unsigned>()};
    opts.max_pending_handshakes = vm["max-pending-handshakes"].as<std::size_t>();
    opts.max_pending_per_address = vm["max-pending-per-address"].as<std::size_t>();
    if (opts.handshake_timeout.count() == 0 || opts.max_pending_handshakes == 0
        || opts.max_pending_per_address == 0)
      throw po::error("--handshake-timeout, --max-pending-handshakes and "
                      "--max-pending-per-address must be at least 1");
    opts.log = log_to_stderr;
    // Thousands of pending peers need thousands of descriptors.
    cafman::net::raise_descriptor_limit();
    cafman::server srv{opts};
    srv.stop_on_signals();
    for (auto& [name, type] : publications)
      srv.publish(name, type);
    std::cout << "cafman-server listening on " << srv.host() << ":" << srv.port() << std::endl;
    srv.serve_forever();
    return 0;
  } catch (const po::error& e) {
    std::cerr << "cafman-server: " << e.what() << "\n" << desc << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "cafman-server: " << e.what() << "\n";
    return 1;
  }
}
