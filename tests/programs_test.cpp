// Whole programs: the cafman-server binary and client processes, over
// loopback TCP, as users run them.

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <future>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <sys/prctl.h>
#include <sys/socket.h>

#include "cafman/cafman.hpp"
#include "cafman/net/handshake.hpp"
#include "cafman/net/socket.hpp"
#include "cafman/net/system_config.hpp"
#include "tests/support.hpp"
#include "tests/watchdog.hpp"

using namespace std::chrono_literals;
using cafman::testing::eventually;
using cafman::testing::no_children_left;
using cafman::testing::server_process;
using cafman::testing::watchdog;

namespace {

const std::string secret = "programs-test-secret";

cafman::manager connect_to(const server_process& srv, const std::string& key = secret) {
  return cafman::connect(srv.address(), cafman::authkey::from_string(key));
}

void quickstart_worker(cafman::dict_proxy d, cafman::list_proxy l, int id) {
  auto name = std::to_string(id);
  d["worker_" + name] = "Hello from worker " + name;
  l.append("Item from worker " + name);
}

void add_thousand(cafman::value_proxy v, cafman::dict_proxy d) {
  for (int i = 0; i < 1000; ++i) {
    v.fetch_add(1);
    d.fetch_add("hits", 1);
  }
}

// Ends a test the way every test must end: nothing left in the manager, a
// clean exit on SIGTERM, no child process.
void expect_clean_end(server_process& srv, const cafman::manager& m) {
  CHECK(eventually([&] { return m.number_of_objects() == 0; }));
  auto status = srv.stop(SIGTERM);
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
  CHECK(no_children_left());
}

} // namespace

TEST_CASE("cafman-server prints its address and serves the quick start", "[programs]") {
  watchdog dog{30s};
  server_process srv{secret};
  REQUIRE(srv.first_line().rfind("cafman-server listening on 127.0.0.1:", 0) == 0);
  auto m = connect_to(srv);
  {
    auto d = m.dict();
    auto l = m.list({1, 2, 3});
    d["initial"] = "value";
    std::vector<cafman::process> workers;
    for (int i = 0; i < 3; ++i)
      workers.emplace_back(quickstart_worker, d, l, i);
    for (auto& p : workers) {
      REQUIRE(p.join(10s));
      CHECK(p.exitcode() == 0);
    }
    CHECK(d.size() == 4);
    for (int i = 0; i < 3; ++i)
      CHECK(d.get("worker_" + std::to_string(i))
            == cafman::value{"Hello from worker " + std::to_string(i)});
    auto items = l.copy();
    REQUIRE(items.size() == 6);
    CHECK(cafman::list_value(items.begin(), items.begin() + 3) == cafman::list_value{1, 2, 3});
    std::sort(items.begin() + 3, items.end());
    CHECK(items[3] == cafman::value{"Item from worker 0"});
    CHECK(items[5] == cafman::value{"Item from worker 2"});
    CHECK(m.number_of_objects() == 2);
  }
  expect_clean_end(srv, m);
}

TEST_CASE("4 processes x 1000 fetch_add lose no update", "[programs]") {
  watchdog dog{60s};
  server_process srv{secret};
  auto m = connect_to(srv);
  {
    auto v = m.value('i', 0);
    auto d = m.dict();
    std::vector<cafman::process> workers;
    for (int i = 0; i < 4; ++i)
      workers.emplace_back(add_thousand, v, d);
    for (auto& p : workers) {
      REQUIRE(p.join(50s));
      CHECK(p.exitcode() == 0);
    }
    CHECK(v.get() == cafman::value{4000});
    CHECK(d.get("hits") == cafman::value{4000});
  }
  expect_clean_end(srv, m);
}

TEST_CASE("references of a client killed with SIGKILL are dropped", "[programs]") {
  watchdog dog{30s};
  server_process srv{secret};
  auto m = connect_to(srv);
  auto kept = m.dict({{"owner", "parent"}});
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  cafman::process victim{[ready](cafman::manager child_side) {
                           auto a = child_side.dict();
                           auto b = child_side.list({1});
                           auto c = child_side.value('d', 1.5);
                           char byte = 1;
                           cafman::detail::write_all(ready[1], &byte, 1);
                           for (;;)
                             ::pause(); // holds a, b and c until killed
                         },
                         m};
  ::close(ready[1]);
  char byte = 0;
  REQUIRE(::read(ready[0], &byte, 1) == 1);
  ::close(ready[0]);
  CHECK(m.number_of_objects() == 4);
  victim.kill();
  REQUIRE(victim.join(5s));
  CHECK(victim.exitcode() == -SIGKILL);
  CHECK(eventually([&] { return m.number_of_objects() == 1; }));
  CHECK(kept.get("owner") == cafman::value{"parent"});
  kept = m.dict(); // the old dict's last reference goes
  CHECK(eventually([&] { return m.number_of_objects() == 1; }));
  auto info = m.debug_info().as_list();
  REQUIRE(info.size() == 1);
  CHECK(info[0].as_dict().at("refcount") == cafman::value{1});
  CHECK(info[0].as_dict().at("type") == cafman::value{"dict"});
  { auto gone = std::move(kept); }
  expect_clean_end(srv, m);
}

TEST_CASE("a wrong authkey is rejected while the right one works", "[programs][auth]") {
  watchdog dog{30s};
  server_process srv{secret};
  try {
    connect_to(srv, "not-the-secret");
    FAIL("connecting with a wrong key succeeded");
  } catch (const cafman::auth_error& e) {
    CHECK_THAT(e.what(), Catch::Contains("authkey rejected by 127.0.0.1:"));
  }
  auto m = connect_to(srv);
  auto d = m.dict();
  d["k"] = 1;
  CHECK(d.get("k") == cafman::value{1});
  CHECK_THROWS_AS(connect_to(srv, "another-wrong-one"), cafman::auth_error);
  CHECK(d.get("k") == cafman::value{1}); // the server kept serving
  { auto gone = std::move(d); }
  expect_clean_end(srv, m);
}

TEST_CASE("a plain CAF client without the handshake reaches nothing", "[programs][auth]") {
  watchdog dog{30s};
  server_process srv{secret};
  auto m = connect_to(srv);
  auto d = m.dict();
  d["secret"] = 42;
  {
    caf::actor_system_config cfg;
    cafman::net::configure(cfg, 1);
    caf::actor_system sys{cfg};
    auto port = static_cast<std::uint16_t>(std::stoi(srv.address().substr(10)));
    auto remote = sys.middleman().remote_actor("127.0.0.1", port);
    CHECK_FALSE(remote);
  }
  CHECK(d.get("secret") == cafman::value{42});
  CHECK(m.number_of_objects() == 1);
  { auto gone = std::move(d); }
  expect_clean_end(srv, m);
}

TEST_CASE("killing the server fails a pending and a new call within 2 s", "[programs]") {
  watchdog dog{30s};
  server_process srv{secret};
  auto m = connect_to(srv);
  auto d = m.dict();
  d["k"] = 1;
  // A stopped server takes the request but never answers: the call pends.
  REQUIRE(cafman::testing::freeze(srv.pid()));
  auto pending = std::async(std::launch::async, [&] { return d.get("k"); });
  CHECK(pending.wait_for(100ms) == std::future_status::timeout);
  auto killed_at = std::chrono::steady_clock::now();
  REQUIRE(srv.stop(SIGKILL));
  REQUIRE(pending.wait_for(2s) == std::future_status::ready);
  CHECK_THROWS_AS(pending.get(), cafman::connection_error);
  CHECK(std::chrono::steady_clock::now() - killed_at < 2s);
  auto new_call_at = std::chrono::steady_clock::now();
  CHECK_THROWS_AS(d.set("k", 2), cafman::connection_error);
  CHECK(std::chrono::steady_clock::now() - new_call_at < 2s);
  CHECK(no_children_left());
}

TEST_CASE("cafman-server exits cleanly on SIGINT", "[programs]") {
  watchdog dog{30s};
  server_process srv{secret};
  auto m = connect_to(srv);
  auto d = m.dict(); // an object still alive: shutdown exits it
  auto status = srv.stop(SIGINT);
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
  CHECK_THROWS_AS(d.get("k"), cafman::connection_error);
  CHECK(no_children_left());
}

TEST_CASE("the manager process exits when its owner is killed", "[programs]") {
  watchdog dog{30s};
  // Orphans are re-parented to us, so we can wait for the manager itself.
  REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
  int report[2];
  REQUIRE(::pipe(report) == 0);
  std::fflush(nullptr); // or the owner would print our buffered output again
  pid_t owner = ::fork();
  if (owner == 0) {
    cafman::sync_manager manager;
    pid_t manager_pid = manager.pid();
    cafman::detail::write_all(report[1], &manager_pid, sizeof(manager_pid));
    for (;;)
      ::pause();
  }
  ::close(report[1]);
  pid_t manager_pid = 0;
  REQUIRE(::read(report[0], &manager_pid, sizeof(manager_pid)) == sizeof(manager_pid));
  ::close(report[0]);
  ::kill(owner, SIGKILL);
  REQUIRE(cafman::detail::wait_for_exit(owner, 5s));
  auto status = cafman::detail::wait_for_exit(manager_pid, 5s);
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(no_children_left());
  ::prctl(PR_SET_CHILD_SUBREAPER, 0);
}

TEST_CASE("cafman-server explains bad command lines", "[programs]") {
  watchdog dog{30s};
  using cafman::testing::run_server;
  auto [help_rc, help] = run_server("--help");
  CHECK(help_rc == 0);
  CHECK_THAT(help, Catch::Contains("--authkey-file"));
  auto [bad_rc, bad] = run_server("--port notanumber");
  CHECK(bad_rc == 2);
  auto [nokey_rc, nokey] = run_server("--authkey-file /nonexistent/key");
  CHECK(nokey_rc == 1);
  CHECK_THAT(nokey, Catch::Contains("/nonexistent/key"));
  CHECK(no_children_left());
}

TEST_CASE("an authenticated peer sending garbage frames is cut off, others go on",
          "[programs][auth]") {
  watchdog dog{30s};
  server_process srv{secret};
  auto m = connect_to(srv);
  auto d = m.dict({{"k", 1}});
  auto where = cafman::net::parse_address(srv.address());
  for (std::uint8_t kind : {std::uint8_t{'L'}, std::uint8_t{'?'}}) {
    cafman::net::unique_fd fd{cafman::net::connect_tcp(where.host, where.port, 2s)};
    REQUIRE(cafman::net::client_handshake(fd.get(), cafman::authkey::from_string(secret), 2s));
    // A stream kind byte, then a frame announcing 4 GiB.
    const unsigned char garbage[] = {kind, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3};
    REQUIRE(::send(fd.get(), garbage, sizeof(garbage), MSG_NOSIGNAL) == sizeof(garbage));
    char byte;
    CHECK(::recv(fd.get(), &byte, 1, 0) <= 0); // closed by the server, no reply
  }
  CHECK(d.get("k") == cafman::value{1});
  { auto gone = std::move(d); }
  expect_clean_end(srv, m);
}
