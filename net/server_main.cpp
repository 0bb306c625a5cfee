// cafman-server: a standalone manager server. Prints exactly one line when
// ready (`cafman-server listening on HOST:PORT`) and serves until SIGINT,
// SIGTERM or a client's shutdown request. `--publish jobs=queue` serves a
// named object (see docs/remote-manager.md); `--config FILE` reads any
// option from a file (docs/operations.md).

#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/program_options.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "cafman/errors.hpp"
#include "cafman/version.hpp"
#include "cafman/net/server.hpp"
#include "cafman/net/socket.hpp"
#include "cafman/net/tls_program_options.hpp"

namespace po = boost::program_options;

namespace {

// The key from --authkey-file or $CAFMAN_AUTHKEY, never from the command line.
cafman::authkey authkey_from(const po::variables_map& vm) {
  auto file = vm.count("authkey-file") ? std::optional{vm["authkey-file"].as<std::string>()}
                                       : std::nullopt;
  if (auto key = cafman::authkey::from_file_or_env(file))
    return *key;
  throw cafman::error("no authkey: pass --authkey-file FILE or set CAFMAN_AUTHKEY");
}

// The server's log: spdlog on stderr (thread-safe: the gate and the I/O
// thread both write), with time stamps and levels, filtered by --log-level.
cafman::log_sink stderr_log(const std::string& level_name) {
  auto level = spdlog::level::from_str(level_name);
  if (level == spdlog::level::off && level_name != "off")
    throw po::error("--log-level " + level_name +
                    ": expected debug, info, warning, error or off");
  auto logger = spdlog::stderr_logger_mt("cafman-server");
  logger->set_level(level);
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e cafman-server %l: %v");
  return [logger](cafman::log_level l, const std::string& line) {
    static constexpr spdlog::level::level_enum levels[] = {
      spdlog::level::debug, spdlog::level::info, spdlog::level::warn, spdlog::level::err};
    logger->log(levels[static_cast<int>(l)], line);
  };
}

// Checks every NAME=TYPE before the server starts, so that a typo is a
// usage error (exit 2), not a half-published server.
std::vector<cafman::publication> publications_from(const po::variables_map& vm,
                                                   const cafman::type_table& types) {
  std::vector<cafman::publication> result;
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
    result.push_back({std::move(name), std::move(type), {}, vm["durable"].as<bool>()});
  }
  return result;
}

// What one client may make the server do (see docs/safety.md).
void set_client_limits(const po::variables_map& vm, cafman::server_options& opts) {
  opts.lean.session_timeout = std::chrono::milliseconds{vm["session-timeout"].as<unsigned>()};
  opts.lean.max_frame_bytes = vm["max-frame-bytes"].as<std::uint32_t>();
  opts.lean.stats_interval = std::chrono::seconds{vm["stats-interval"].as<unsigned>()};
  opts.lean.max_unread_reply_bytes = vm["max-unread-reply-bytes"].as<std::size_t>();
  opts.lean.max_in_flight = vm["max-in-flight"].as<std::size_t>();
  opts.limits.max_elements_per_op = vm["max-elements-per-op"].as<std::uint64_t>();
  opts.limits.max_waiters_per_object = vm["max-waiters-per-object"].as<std::size_t>();
  opts.limits.max_objects_per_session = vm["max-objects-per-session"].as<std::size_t>();
  opts.allow_basp = vm["allow-basp"].as<bool>();
  if (opts.lean.session_timeout.count() == 0 || opts.lean.max_in_flight == 0)
    throw po::error("--session-timeout and --max-in-flight must be at least 1");
}

// Every option of a config file, and of the command line besides the
// ones about the program itself.
void set_durability(const po::variables_map& vm, cafman::server_options& opts) {
  static const std::map<std::string, cafman::fsync_policy> policies{
    {"always", cafman::fsync_policy::always},
    {"everysec", cafman::fsync_policy::everysec},
    {"no", cafman::fsync_policy::no}};
  auto policy = policies.find(vm["fsync"].as<std::string>());
  if (policy == policies.end())
    throw po::error("--fsync " + vm["fsync"].as<std::string>()
                    + ": expected always, everysec or no");
  opts.durability.fsync = policy->second;
  if (vm.count("journal-dir"))
    opts.durability.dir = vm["journal-dir"].as<std::string>();
  if (vm["durable"].as<bool>() && opts.durability.dir.empty())
    throw po::error("--durable needs --journal-dir DIR");
}

po::options_description server_options_description() {
  po::options_description desc{"Options (on the command line, or NAME = VALUE lines in --config)"};
  desc.add_options()
    ("host", po::value<std::string>()->default_value("127.0.0.1"), "address to listen on")
    ("port", po::value<std::uint16_t>()->default_value(0), "TCP port (0 = any free port)")
    ("unix", po::value<std::string>(),
     "also listen on a Unix-domain socket at this path, for clients on this host (address "
     "unix:PATH, faster than TCP); the file is removed when the server stops")
    ("authkey-file", po::value<std::string>(),
     "file holding the key clients must prove (default: $CAFMAN_AUTHKEY)")
    ("threads", po::value<std::size_t>()->default_value(2), "scheduler threads")
    ("log-level", po::value<std::string>()->default_value("info"),
     "what goes to stderr: debug, info (sessions opened and ended), warning (refused "
     "requests and connections, limits hit), error, or off")
    ("handshake-timeout", po::value<unsigned>()->default_value(2000),
     "milliseconds a connection has to prove the key and choose its stream; then it is closed")
    ("max-pending-handshakes", po::value<std::size_t>()->default_value(10000),
     "connections in their handshake at once; more are closed at once")
    ("max-pending-per-address", po::value<std::size_t>()->default_value(32),
     "the same, from one source address")
    ("session-timeout", po::value<unsigned>()->default_value(10000),
     "milliseconds a client may stay silent (clients heartbeat every second) before it is "
     "declared dead and everything it holds is released")
    ("stats-interval", po::value<unsigned>()->default_value(0),
     "seconds between stats lines in the log (sessions, calls and their rate, errors, bytes); "
     "0: none")
    ("max-frame-bytes", po::value<std::uint32_t>()->default_value(256u << 20),
     "largest request frame; a larger one closes the stream")
    ("max-unread-reply-bytes", po::value<std::size_t>()->default_value(64u << 20),
     "reply bytes a client has not read before the server stops reading its requests")
    ("max-in-flight", po::value<std::size_t>()->default_value(64),
     "requests of one stream waiting for their objects before the server stops reading it")
    ("max-elements-per-op", po::value<std::uint64_t>()->default_value(10'000'000),
     "elements one operation may create (l *= n, array(n), extend, ...)")
    ("max-waiters-per-object", po::value<std::size_t>()->default_value(100'000),
     "calls that may wait on one object at once")
    ("max-objects-per-session", po::value<std::size_t>()->default_value(1'000'000),
     "objects one client may hold at once")
    ("allow-basp", po::bool_switch(), "also serve CAF's BASP to authenticated clients, for actor handles "
                   "(proxy.actor()); CAF 0.17 decodes it without a depth bound and lets a "
                   "client address any actor: off by default")
    ("publish", po::value<std::vector<std::string>>()->composing(),
     "NAME=TYPE: serve a new object of TYPE (queue, dict, ...) as NAME, for clients' "
     "get<Proxy>(NAME); repeatable");
  desc.add_options()
    ("durable", po::bool_switch(),
     "the objects of --publish are durable: journaled in --journal-dir, restored at start "
     "(dicts, lists, sets, namespaces, values, arrays, queues)")
    ("journal-dir", po::value<std::string>(),
     "where durable objects' journals live; every journal there is restored at start")
    ("fsync", po::value<std::string>()->default_value("everysec"),
     "when journals reach the disk: always (before each change is acknowledged), everysec, no");
  cafman::net::add_tls_options(desc, false);
  return desc;
}

} // namespace

int main(int argc, char** argv) {
  po::options_description program{"cafman-server: serves shared objects to cafman clients.\n"
                                  "Program"};
  program.add_options()
    ("help,h", "print this help and exit")
    ("version", "print the version and exit")
    ("config", po::value<std::string>(),
     "read options from FILE (NAME = VALUE per line, # comments); the command line wins");
  auto settings = server_options_description();
  po::options_description desc;
  desc.add(program).add(settings);
  try {
    po::variables_map vm;
    po::store(po::parse_command_line(argc, argv, desc), vm);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return 0;
    }
    if (vm.count("version")) {
      std::cout << "cafman-server " << cafman::version() << "\n";
      return 0;
    }
    if (vm.count("config")) {
      auto file = vm["config"].as<std::string>();
      std::ifstream in{file};
      if (!in)
        throw po::error("--config " + file + ": cannot read it");
      po::store(po::parse_config_file(in, settings), vm); // after the command line: it wins
    }
    po::notify(vm);
    cafman::server_options opts;
    opts.log = stderr_log(vm["log-level"].as<std::string>());
    opts.publish = publications_from(vm, opts.types);
    opts.host = vm["host"].as<std::string>();
    opts.port = vm["port"].as<std::uint16_t>();
    if (vm.count("unix"))
      opts.unix_path = vm["unix"].as<std::string>();
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
    set_client_limits(vm, opts);
    opts.tls = cafman::net::tls_options_from(vm);
    set_durability(vm, opts);
    // Thousands of pending peers need thousands of descriptors.
    cafman::net::raise_descriptor_limit();
    cafman::server srv{opts};
    srv.stop_on_signals();

    std::cout << "cafman-server listening on " << srv.host() << ":" << srv.port();
    if (!srv.unix_path().empty())
      std::cout << " and unix:" << srv.unix_path();
    std::cout << std::endl;
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
