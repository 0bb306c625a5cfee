// Durable objects: journaled before acknowledged, restored at start, torn
// records cut with a log line, journals compacted, and refusals for what a
// journal cannot keep.

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "cafman/cafman.hpp"
#include "tests/support.hpp"
#include "tests/watchdog.hpp"

using namespace std::chrono_literals;
using cafman::list_value;
using cafman::value;
using cafman::testing::eventually;
using cafman::testing::log_lines;
using cafman::testing::temp_dir;
using cafman::testing::no_children_left;
using cafman::testing::run_program;
using cafman::testing::server_process;
using cafman::testing::watchdog;
using Catch::Matchers::Contains;

namespace {

const std::string secret = "durability-test-secret";

/// A fresh journal directory, removed at the end.
class journal_dir : public temp_dir {
public:
  journal_dir() : temp_dir("journal-test") {}

  /// The journal files in it.
  std::vector<std::string> journals() const {
    auto [code, out] = run_program("ls", path());
    std::vector<std::string> names;
    std::size_t at = 0;
    while (at < out.size()) {
      auto end = out.find('\n', at);
      names.push_back(path(out.substr(at, end - at)));
      at = end == std::string::npos ? out.size() : end + 1;
    }
    return names;
  }
};

/// Server options with a journal directory and a log kept for the test.
struct logged_server : log_lines {
  explicit logged_server(const std::string& dir,
                         cafman::fsync_policy policy = cafman::fsync_policy::always) {
    options.authkey = cafman::authkey::from_string(secret);
    options.durability.dir = dir;
    options.durability.fsync = policy;
    options.log = sink();
  }

  cafman::server_options options;
};

cafman::manager connect_to(const cafman::server& srv) {
  return cafman::connect("127.0.0.1:" + std::to_string(srv.port()),
                         cafman::authkey::from_string(secret));
}

std::uintmax_t file_size(const std::string& path) {
  struct stat info{};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  return static_cast<std::uintmax_t>(info.st_size);
}

} // namespace

TEST_CASE("durable: every data kind and a queue come back after a restart with what clients "
          "made of them",
          "[durable]") {
  watchdog dog{60s};
  journal_dir dir;
  logged_server config{dir.path()};
  list_value dict_copy, list_copy;
  {
    cafman::server srv{config.options};
    for (auto [name, type] : {std::pair{"d", "dict"}, {"l", "list"}, {"s", "set"},
                              {"ns", "namespace"}, {"q", "queue"}})
      srv.publish(name, type, {}, cafman::durable);
    srv.publish("v", "value", {"i", 5}, cafman::durable);
    srv.publish("a", "array", {"d", list_value{1.5, 2.5, 3.5}}, cafman::durable);
    auto m = connect_to(srv);
    auto d = m.get<cafman::dict_proxy>("d");
    d.set("a", 1);
    d.update(cafman::dict_value{{"b", 2}, {"c", 3}});
    d.pop("c");
    d.fetch_add("a", 41);
    CHECK(d.get("missing", value{}) == value{}); // a read, not journaled
    auto l = m.get<cafman::list_proxy>("l");
    l.extend({3, 1, 2});
    l.append(0);
    l.insert(0, 9);
    l.sort();
    l.reverse();
    l.pop(0);
    l.set(cafman::slice{0, 1, std::nullopt}, {7, 7});
    auto s = m.get<cafman::set_proxy>("s");
    s.update({1, 2, 3, 4});
    s.discard(2);
    s &= list_value{1, 3, 4, 5};
    auto ns = m.get<cafman::namespace_proxy>("ns");
    ns.set("x", "text");
    ns.set("y", 2);
    ns.erase("y");
    auto v = m.get<cafman::value_proxy>("v");
    v.fetch_add(10);
    auto a = m.get<cafman::array_proxy>("a");
    a.set(1, 20.5);
    auto q = m.get<cafman::queue_proxy>("q");
    for (int i = 0; i < 5; ++i)
      q.put(i);
    CHECK(q.get() == value{0});
    CHECK(q.get() == value{1});
    dict_copy = {d.get("a"), d.get("b"), value{d.size()}};
    list_copy = l.copy();
  }
  cafman::server srv{config.options};
  CHECK(config.logged("restored durable 'q' (queue)"));
  auto m = connect_to(srv);
  auto d = m.get<cafman::dict_proxy>("d");
  CHECK(list_value{d.get("a"), d.get("b"), value{d.size()}} == dict_copy);
  CHECK(dict_copy == list_value{42, 2, 2});
  CHECK(m.get<cafman::list_proxy>("l").copy() == list_copy);
  auto set_items = m.get<cafman::set_proxy>("s").copy();
  std::sort(set_items.begin(), set_items.end());
  CHECK(set_items == list_value{1, 3, 4});
  auto ns = m.get<cafman::namespace_proxy>("ns");
  CHECK(ns.get("x") == value{"text"});
  CHECK_FALSE(ns.contains("y"));
  CHECK(m.get<cafman::value_proxy>("v").get() == value{15});
  CHECK(m.get<cafman::array_proxy>("a").get(cafman::slice{}) == list_value{1.5, 20.5, 3.5});
  auto q = m.get<cafman::queue_proxy>("q");
  for (int i = 2; i < 5; ++i)
    CHECK(q.get(false) == value{i});
  CHECK_THROWS_AS(q.get(false), cafman::queue_empty);
}

TEST_CASE("durable: kill -9 during a stream of acknowledged writes under fsync always loses "
          "none of them",
          "[durable]") {
  watchdog dog{90s};
  journal_dir dir;
  std::vector<std::string> args{"--durable", "--publish", "jobs=queue", "--publish", "d=dict",
                                "--journal-dir", dir.path(), "--fsync", "always"};
  std::atomic<int> acknowledged{-1};
  {
    server_process server{secret, args};
    auto m = cafman::connect(server.address(), cafman::authkey::from_string(secret));
    auto jobs = m.get<cafman::queue_proxy>("jobs");
    auto d = m.get<cafman::dict_proxy>("d");
    std::thread writer{[&] {
      try {
        for (int i = 0;; ++i) {
          jobs.put(i);
          d.set(i, i * i);
          acknowledged = i;
        }
      } catch (const cafman::error&) {
        // the server was killed
      }
    }};
    REQUIRE(eventually([&] { return acknowledged >= 200; }, 30s));
    REQUIRE(server.stop(SIGKILL).has_value());
    writer.join();
  }
  server_process again{secret, args};
  auto m = cafman::connect(again.address(), cafman::authkey::from_string(secret));
  auto jobs = m.get<cafman::queue_proxy>("jobs");
  auto d = m.get<cafman::dict_proxy>("d");
  int last = acknowledged;
  INFO("last acknowledged write: " << last);
  // Every acknowledged put, in order; the one in flight at the kill may be
  // there too (journaled, then not acknowledged).
  for (int i = 0; i <= last; ++i)
    REQUIRE(jobs.get(false) == value{i});
  CHECK(jobs.qsize() <= 1);
  for (int i = 0; i <= last; ++i)
    REQUIRE(d.get(i) == value{i * i});
  // The writes of the round in flight (last + 1) may be there too.
  CHECK(d.size() <= last + 2);
}

TEST_CASE("durable: a torn last record is cut at restart, with a log line that says so",
          "[durable]") {
  watchdog dog{60s};
  journal_dir dir;
  logged_server config{dir.path()};
  {
    cafman::server srv{config.options};
    srv.publish("d", "dict", {}, cafman::durable);
    auto d = connect_to(srv).get<cafman::dict_proxy>("d");
    d.set("kept", 1);
    d.set("torn", 2);
  }
  auto journals = dir.journals();
  REQUIRE(journals.size() == 1);
  auto size = file_size(journals[0]);
  REQUIRE(::truncate(journals[0].c_str(), static_cast<off_t>(size - 3)) == 0);
  {
    cafman::server srv{config.options};
    CHECK(config.logged("journal of 'd'"));
    CHECK(config.logged("bytes dropped"));
    auto d = connect_to(srv).get<cafman::dict_proxy>("d");
    CHECK(d.get("kept") == value{1});
    CHECK_FALSE(d.contains("torn"));
    d.set("after", 3); // appended where the torn record was
  }
  cafman::server srv{config.options};
  auto d = connect_to(srv).get<cafman::dict_proxy>("d");
  CHECK(d.get("after") == value{3});
  CHECK(d.size() == 2);
}

TEST_CASE("durable: journals are compacted as they grow, and still restore", "[durable]") {
  watchdog dog{60s};
  journal_dir dir;
  logged_server config{dir.path(), cafman::fsync_policy::no};
  config.options.durability.compact_after_bytes = 8192;
  {
    cafman::server srv{config.options};
    srv.publish("d", "dict", {}, cafman::durable);
    srv.publish("q", "queue", {}, cafman::durable);
    auto m = connect_to(srv);
    auto d = m.get<cafman::dict_proxy>("d");
    auto q = m.get<cafman::queue_proxy>("q");
    for (int i = 0; i < 3000; ++i) {
      d.set(i % 10, i);
      q.put(i);
      CHECK(q.get() == value{i});
    }
    q.put("last");
    for (auto& journal : dir.journals())
      CHECK(file_size(journal) < 20000); // 3,000 records would take over 60,000 bytes
  }
  cafman::server srv{config.options};
  auto m = connect_to(srv);
  auto d = m.get<cafman::dict_proxy>("d");
  CHECK(d.size() == 10);
  CHECK(d.get(9) == value{2999});
  auto q = m.get<cafman::queue_proxy>("q");
  CHECK(q.get(false) == value{"last"});
  CHECK_THROWS_AS(q.get(false), cafman::queue_empty);
}

TEST_CASE("durable: what a journal cannot keep is refused with a clear error, and unpublishing "
          "deletes the journal",
          "[durable]") {
  watchdog dog{60s};
  journal_dir dir;
  logged_server config{dir.path()};
  cafman::server srv{config.options};
  CHECK_THROWS_WITH(srv.publish("l", "lock", {}, cafman::durable),
                    Contains("cannot be durable"));
  srv.publish("d", "dict", {}, cafman::durable);
  CHECK_THROWS_WITH(srv.publish("d", "list", {}, cafman::durable),
                    Contains("'d' is durable as a dict"));
  auto m = connect_to(srv);
  auto d = m.get<cafman::dict_proxy>("d");
  auto other = m.list();
  CHECK_THROWS_WITH(d.set("ref", other), Contains("keeps plain values only"));
  CHECK_FALSE(d.contains("ref"));
  CHECK(dir.journals().size() == 1);
  m.unpublish("d");
  CHECK(dir.journals().empty());
  d.set("k", 1); // an object like any other now
  cafman::server_options plain;
  cafman::server no_dir{plain};
  CHECK_THROWS_WITH(no_dir.publish("d", "dict", {}, cafman::durable),
                    Contains("no journal directory"));
  auto [code, out] = run_program("env", std::string{"CAFMAN_AUTHKEY=some-key "} + CAFMAN_SERVER_BIN
                                            + " --durable --publish d=dict");
  CHECK(code == 2);
  CHECK_THAT(out, Contains("--durable needs --journal-dir"));
}

TEST_CASE("durable: an actor client's receipts are journaled too", "[durable]") {
  watchdog dog{60s};
  journal_dir dir;
  logged_server config{dir.path()};
  {
    cafman::server srv{config.options};
    srv.publish("q", "queue", {}, cafman::durable);
    auto q = connect_to(srv).get<cafman::queue_proxy>("q");
    for (int i = 0; i < 3; ++i)
      q.put(i);
    caf::actor_system_config cfg;
    caf::actor_system sys{cfg};
    cafman::actor_client client{sys, "127.0.0.1:" + std::to_string(srv.port()),
                                cafman::authkey::from_string(secret)};
    auto jobs = client.handle_of(client.manager().get<cafman::queue_proxy>("q"));
    caf::scoped_actor self{sys};
    value got;
    self->request(jobs, 10s, cafman::get_atom_v, caf::timespan{0})
      .receive([&](value& v, std::uint64_t) { got = std::move(v); },
               [](caf::error& e) { FAIL(caf::to_string(e)); });
    CHECK(got == value{0});
    // Calls on one object keep their order: once this is answered, the
    // receipt sent after the get has been through the manager.
    self->request(jobs, 10s, cafman::qsize_atom_v)
      .receive([](std::int64_t left) { CHECK(left == 2); },
               [](caf::error& e) { FAIL(caf::to_string(e)); });
  }
  cafman::server srv{config.options};
  auto q = connect_to(srv).get<cafman::queue_proxy>("q");
  CHECK(q.get(false) == value{1});
  CHECK(q.get(false) == value{2});
  CHECK_THROWS_AS(q.get(false), cafman::queue_empty);
}
