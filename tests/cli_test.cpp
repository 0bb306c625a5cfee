// The operator's tools against a real cafman-server: the `cafman`
// command-line client, --version and --config.

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>
#include <string>

#include <unistd.h>

#include "cafman/cafman.hpp"
#include "cafman/proxies/child.hpp"
#include "tests/support.hpp"
#include "tests/watchdog.hpp"

using namespace std::chrono_literals;
using Catch::Contains;
using cafman::value;
using cafman::testing::eventually;
using cafman::testing::no_children_left;
using cafman::testing::run_program;
using cafman::testing::run_server;
using cafman::testing::server_process;
using cafman::testing::watchdog;

namespace {

const std::string secret = "cli-test-secret-key";

// `cafman` against `srv`: its exit code and output.
std::pair<int, std::string> cli(const server_process& srv, const std::string& args) {
  return run_program(CAFMAN_CLI_BIN,
                     "--address " + srv.address() + " --authkey-file " + srv.key_file() + " " +
                         args);
}

// The figure `name` of kind `type` in m.info()'s calls_by_type.
std::int64_t of_kind(const cafman::manager& m, const char* type, const char* name) {
  auto info = m.info();
  auto& by_type = info.as_dict().at("calls_by_type").as_dict();
  auto found = by_type.find(value{type});
  return found ? found->as_dict().at(name).as_int() : 0;
}

// The figure `name` of the client session holding `objects` objects.
std::int64_t of_client(const cafman::manager& m, std::int64_t objects, const char* name) {
  for (auto& c : m.clients().as_list())
    if (c.as_dict().at("objects") == value{objects})
      return c.as_dict().at(name).as_int();
  return -1;
}

} // namespace

TEST_CASE("cafman: info, objects, clients, names, get, dump, publish and unpublish against a "
          "real server",
          "[cli]") {
  watchdog dog{60s};
  server_process srv{secret, {"--publish", "jobs=queue"}};
  auto m = cafman::connect(srv.address(), cafman::authkey::from_string(secret));
  {
    auto cfg = m.dict({{"k", 1}});
    m.publish("cfg", cfg);
  }
  for (int i = 0; i < 3; ++i) // counted per kind and per client
    m.get<cafman::dict_proxy>("cfg").get("k");
  auto [info_status, info] = cli(srv, "info");
  CHECK(info_status == 0);
  CHECK_THAT(info, Contains(std::string{"version: "} + cafman::version()));
  CHECK_THAT(info, Contains("objects: 2"));
  CHECK_THAT(info, Contains("clients: 2")); // this test's and the command's own
  CHECK_THAT(info, Contains("queue: 1"));
  CHECK_THAT(info, Contains("calls_per_second: "));
  CHECK_THAT(info, Contains("cluster: none (a manager on its own)"));
  CHECK_THAT(info, Contains("\n  dict      3 ")); // its row: 3 calls of a dict
  auto info_json = cli(srv, "info --json").second;
  CHECK_THAT(info_json, Contains("\"calls_by_type\":{\"dict\":{\"calls\":3,\"errors\":0,"));

  auto [objects_status, objects] = cli(srv, "objects --type dict --json");
  CHECK(objects_status == 0);
  CHECK_THAT(objects, Contains("\"type\":\"dict\""));
  CHECK_THAT(objects,
             Contains("\"holders\":[\"manager\"],\"names\":[\"cfg\"],\"size\":1}"));
  CHECK_THAT(objects, !Contains("queue"));
  auto table = cli(srv, "objects").second;
  CHECK_THAT(table, Contains("ID") && Contains("REFCOUNT") && Contains("WAITING") && Contains("jobs"));
  CHECK_THAT(cli(srv, "objects --type queue --json").second,
             Contains("\"size\":0,\"waiting\":0}")); // a queue: qsize, and calls waiting

  auto clients = cli(srv, "clients --json").second;
  CHECK_THAT(clients, Contains("\"peer\":\"127.0.0.1:") && Contains("\"connected_since\":") &&
                          Contains("\"calls\":") && Contains("\"bytes_out\":"));

  CHECK(cli(srv, "get cfg") == std::make_pair(0, std::string{"{'k': 1}\n"}));
  CHECK(cli(srv, "get cfg --json") == std::make_pair(0, std::string{"{\"k\":1}\n"}));
  auto jobs = m.get<cafman::queue_proxy>("jobs");
  CHECK_THAT(cli(srv, "dump " + std::to_string(jobs.id())).second,
             Contains("queue object") && Contains("no snapshot"));

  CHECK(cli(srv, "publish l list").first == 0);
  CHECK(m.names() == std::vector<std::string>{"cfg", "jobs", "l"});
  CHECK(cli(srv, "names").second == "cfg\njobs\nl\n");
  CHECK(cli(srv, "unpublish l").first == 0);
  CHECK(m.names() == std::vector<std::string>{"cfg", "jobs"});

  // Failures: what happened, and the exit status scripts can test.
  auto missing = cli(srv, "dump 424242");
  CHECK(missing.first == 1);
  CHECK_THAT(missing.second, Contains("object 424242 no longer exists"));
  CHECK(cli(srv, "get nothing").first == 1);
  auto unknown = cli(srv, "frobnicate");
  CHECK(unknown.first == 2);
  CHECK_THAT(unknown.second, Contains("unknown command 'frobnicate'"));
  CHECK(cli(srv, "dump twelve").first == 2);
  auto no_key = run_program(CAFMAN_CLI_BIN, "--address " + srv.address() + " info");
  CHECK(no_key.first == 2);
  CHECK_THAT(no_key.second, Contains("no authkey"));
  std::string wrong_key = "/tmp/cafman-cli-test-wrong-" + std::to_string(::getpid());
  std::ofstream{wrong_key} << "not-the-key-at-all\n";
  auto refused = run_program(CAFMAN_CLI_BIN,
                             "--address " + srv.address() + " --authkey-file " + wrong_key + " info");
  std::remove(wrong_key.c_str());
  CHECK(refused.first == 1);

  jobs = m.get<cafman::queue_proxy>("jobs"); // nothing of ours is left once unpublished
  m.unpublish("cfg");
  m.unpublish("jobs");
  { auto gone = std::move(jobs); }
  CHECK(eventually([&] { return m.number_of_objects() == 0; }));
  CHECK(cli(srv, "shutdown").first == 0);
  auto status = cafman::detail::wait_for_exit(srv.pid(), 5s);
  REQUIRE(status);
  CHECK(WEXITSTATUS(*status) == 0);
  CHECK(no_children_left());
}

TEST_CASE("cafman info and clients count the calls waiting and the waits that timed out, per "
          "kind and per client",
          "[cli]") {
  watchdog dog{60s};
  server_process srv{secret};
  auto mine = cafman::connect(srv.address(), cafman::authkey::from_string(secret));
  auto theirs = cafman::connect(srv.address(), cafman::authkey::from_string(secret));
  auto q = mine.queue();
  auto lock = mine.lock();
  mine.publish("lock", lock);
  REQUIRE(lock.acquire());
  CHECK_THROWS_AS(q.get(true, 20ms), cafman::queue_empty); // mine: a queue wait times out
  {
    auto their_lock = theirs.get<cafman::lock_proxy>("lock");
    CHECK_FALSE(their_lock.acquire(true, 20ms)); // theirs: a lock wait times out
    CHECK(of_kind(mine, "queue", "timeouts") == 1);
    CHECK(of_kind(mine, "lock", "timeouts") == 1);
    CHECK(of_client(mine, 2, "timeouts") == 1); // mine holds the queue and the lock
    CHECK(of_client(mine, 1, "timeouts") == 1); // theirs holds the lock
  }
  value got;
  std::thread getter{[&] { got = q.get(); }};
  CHECK(eventually([&] { return of_kind(mine, "queue", "waiting") == 1; }));
  // Asked through theirs: a session's own clients() call is one it waits for.
  CHECK(of_client(theirs, 2, "waiting") == 1);
  CHECK(of_kind(mine, "lock", "waiting") == 0);
  auto table = cli(srv, "info").second;
  CHECK_THAT(table, Contains("WAITING") && Contains("TIMEOUTS"));
  CHECK_THAT(cli(srv, "clients").second, Contains("WAITING") && Contains("TIMEOUTS"));
  q.put(7);
  getter.join();
  CHECK(got == value{7});
  CHECK(of_kind(mine, "queue", "waiting") == 0);
  CHECK(of_kind(mine, "queue", "timeouts") == 1);
  {
    auto cond = mine.condition(); // with a lock of its own, which no name or id reaches
    mine.publish("cond", cond);
    auto their_cond = theirs.get<cafman::condition_proxy>("cond");
    REQUIRE(their_cond.acquire());
    CHECK_FALSE(cond.acquire(true, 20ms));
    CHECK(of_kind(mine, "lock", "timeouts") == 2); // a condition's acquire is its lock's
    their_cond.release();
    mine.unpublish("cond");
  }

  lock.release();
  mine.unpublish("lock");
  {
    auto gone_q = std::move(q);
    auto gone_lock = std::move(lock);
  }
  CHECK(eventually([&] { return mine.number_of_objects() == 0; }));
}

TEST_CASE("every program prints its version", "[cli]") {
  auto version = std::string{cafman::version()} + "\n";
  CHECK(run_program(CAFMAN_CLI_BIN, "--version") == std::make_pair(0, "cafman " + version));
  CHECK(run_server("--version") == std::make_pair(0, "cafman-server " + version));
}

TEST_CASE("cafman-server reads its options from --config, the command line winning", "[cli]") {
  watchdog dog{30s};
  std::string file = "/tmp/cafman-cli-test-config-" + std::to_string(::getpid());
  {
    std::ofstream out{file};
    out << "# a manager for the jobs\n"
        << "publish = jobs=queue\n"
        << "publish = cfg=dict\n"
        << "max-in-flight = 0\n";
  }
  ::setenv("CAFMAN_AUTHKEY", secret.c_str(), 1);
  auto refused = run_server("--config " + file + " --port 0");
  ::unsetenv("CAFMAN_AUTHKEY");
  CHECK(refused.first == 2); // the file's max-in-flight = 0 reached the check
  CHECK_THAT(refused.second, Contains("--max-in-flight must be at least 1"));
  {
    server_process srv{secret, {"--config", file, "--max-in-flight", "8"}};
    REQUIRE_FALSE(srv.address().empty()); // the command line's 8 won
    auto m = cafman::connect(srv.address(), cafman::authkey::from_string(secret));
    CHECK(m.names() == std::vector<std::string>{"cfg", "jobs"});
  }
  CHECK(run_server("--config /nonexistent/cafman.conf").first == 2);
  {
    // The file shipped beside the systemd unit, with this test's port and socket.
    auto socket = "/tmp/cafman-cli-test-" + std::to_string(::getpid()) + ".sock";
    server_process shipped{secret,
                           {"--config", std::string{CAFMAN_SOURCE_DIR} +
                                            "/examples/systemd/cafman-server.conf",
                            "--unix", socket}}; // server_process passes --port 0
    REQUIRE_FALSE(shipped.address().empty());
    auto m = cafman::connect("unix:" + socket, cafman::authkey::from_string(secret));
    CHECK(m.names() == std::vector<std::string>{"jobs"});
  }
  std::remove(file.c_str());
  CHECK(no_children_left());
}

TEST_CASE("the server logs sessions opened and ended with their peer and why, refused requests, "
          "limit hits, stats and its shutdown, to the sink its program chose",
          "[cli]") {
  watchdog dog{30s};
  std::mutex mtx;
  std::vector<std::pair<cafman::log_level, std::string>> lines;
  auto logged = [&](cafman::log_level level, const std::string& part) {
    std::lock_guard<std::mutex> guard{mtx};
    for (auto& [l, line] : lines)
      if (l == level && line.find(part) != std::string::npos)
        return true;
    return false;
  };
  {
    cafman::server_options opts;
    opts.authkey = cafman::authkey::from_string(secret);
    opts.limits.max_elements_per_op = 10;
    opts.lean.stats_interval = 1s;
    opts.log = [&](cafman::log_level level, const std::string& line) {
      std::lock_guard<std::mutex> guard{mtx};
      lines.emplace_back(level, line);
    };
    cafman::server srv{opts};
    std::thread serving{[&] { srv.serve_forever(); }};
    {
      auto m = cafman::connect(srv.host() + ":" + std::to_string(srv.port()), opts.authkey);
      CHECK(eventually([&] {
        return logged(cafman::log_level::info, "client session 1 (127.0.0.1:") &&
               logged(cafman::log_level::info, ") opened");
      }));
      auto l = m.list();
      CHECK_THROWS_AS(l.extend(cafman::list_value(11, value{0})), cafman::limit_error);
      CHECK(eventually([&] { return logged(cafman::log_level::warning, "hit a limit"); }));
      // The periodic line counts what happened since the last one.
      CHECK(eventually([&] { return logged(cafman::log_level::info, "stats: 1 client sessions, "); },
                       5s));
      CHECK(logged(cafman::log_level::info, " errors, "));
    }
    CHECK(eventually([&] {
      return logged(cafman::log_level::info, "client session 1 (127.0.0.1:") &&
             logged(cafman::log_level::info, "ended: its connection closed");
    }));
    srv.stop();
    serving.join();
  }
  CHECK(logged(cafman::log_level::info, "serving on 127.0.0.1:"));
  CHECK(logged(cafman::log_level::info, "shutting down"));
  CHECK(run_server("--log-level loud").first == 2);
}
