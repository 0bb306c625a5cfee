// Start-up and shut-down from the client's side: a manager used after its
// shutdown, a sync_manager whose owner dies while a plain fork() child of
// the owner lives on, and references that cross from one manager to
// another.

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cafman/cafman.hpp"
#include "cafman/proxies/child.hpp"
#include "tests/support.hpp"
#include "tests/watchdog.hpp"

using namespace std::chrono_literals;
using Catch::Contains;
using cafman::list_value;
using cafman::value;
using namespace cafman::testing;

namespace {

struct tally {
  std::int64_t start = 0;
  std::int64_t get() const { return start; }
};

// Set by a manager's initializer, in the manager process only.
std::int64_t initialized = 0;

struct probe {
  std::int64_t initialized_value() const { return initialized; }
};

/// A TCP port nobody listens on right now.
std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

/// The text of the connection_error `f` throws, or what else happened.
template <class F>
std::string lost_message(F&& f) {
  try {
    f();
  } catch (const cafman::connection_error& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string{"not a connection_error: "} + e.what();
  }
  return "no error";
}

/// Two managers for one test; both must be empty at its end.
template <class F>
void with_two_managers(F&& body) {
  {
    cafman::sync_manager_options options;
    options.types.add<tally, std::int64_t>("Tally").method("get", &tally::get);
    cafman::sync_manager m1;
    cafman::sync_manager m2{options};
    body(m1, m2);
    CHECK(eventually([&] { return m1.number_of_objects() == 0; }));
    CHECK(eventually([&] { return m2.number_of_objects() == 0; }));
  }
  CHECK(no_children_left());
}

} // namespace

TEST_CASE("sync_manager: every call after shutdown throws connection_error", "[lifecycle]") {
  watchdog dog{30s};
  {
    cafman::sync_manager m;
    auto d = m.dict({{"k", 1}});
    auto q = m.queue();
    q.put(1);
    cafman::manager copy = m;
    m.shutdown();
    const std::string shut = "the manager is not running";
    CHECK_THAT(lost_message([&] { m.dict(); }), Contains(shut));
    CHECK_THAT(lost_message([&] { m.number_of_objects(); }), Contains(shut));
    CHECK_THAT(lost_message([&] { m.address(); }), Contains(shut));
    CHECK_THAT(lost_message([&] { m.authkey(); }), Contains(shut));
    CHECK_THAT(lost_message([&] { m.options(); }), Contains(shut));
    CHECK_THAT(lost_message([&] { m.queue(); }), Contains(shut));
    CHECK_THAT(lost_message([&] { m.names(); }), Contains(shut));
    CHECK_THAT(lost_message([&] { m.debug_info(); }), Contains(shut));
    CHECK_THAT(lost_message([&] { m.publish("d", d); }), Contains(shut));
    CHECK_THAT(lost_message([&] { m.get<cafman::dict_proxy>("d"); }), Contains(shut));
    CHECK_THAT(lost_message([&] { m.shutdown_server(); }), Contains(shut));
    // Proxies and copies of the manager made before: the manager is gone.
    CHECK_THAT(lost_message([&] { d.get("k"); }),
               Contains("the manager process died or shut down"));
    CHECK_THAT(lost_message([&] { d.set("k", 2); }), Contains("died or shut down"));
    CHECK_THAT(lost_message([&] { q.get_nowait(); }), Contains("died or shut down"));
    CHECK_THAT(lost_message([&] { copy.number_of_objects(); }), Contains("died or shut down"));
    CHECK_THAT(lost_message([&] { copy.list(); }), Contains("died or shut down"));
    m.shutdown(); // again: nothing left to do
  }
  CHECK(no_children_left());
}

TEST_CASE("sync_manager: start() and shutdown() as separate steps, its exit code, a restart",
          "[lifecycle]") {
  watchdog dog{60s};
  {
    cafman::sync_manager m{{}, cafman::start_later};
    CHECK_FALSE(m.running());
    CHECK_FALSE(m.exitcode());
    CHECK_THAT(lost_message([&] { m.dict(); }), Contains("not running"));
    m.start();
    REQUIRE(m.running());
    CHECK_THROWS_WITH(m.start(), Contains("runs already"));
    m.dict({{"k", 1}}).set("k", 2);
    CHECK_FALSE(m.exitcode()); // still running
    m.shutdown();
    CHECK(m.exitcode() == 0);
    CHECK_FALSE(m.running());
    m.start(); // a new manager process, with nothing in it
    CHECK(m.number_of_objects() == 0);
    CHECK_FALSE(m.exitcode());
    ::kill(m.pid(), SIGKILL);
    m.shutdown();
    CHECK(m.exitcode() == -SIGKILL);
  }
  CHECK(no_children_left());
}

TEST_CASE("sync_manager: an initializer runs in the manager process before it serves",
          "[lifecycle]") {
  watchdog dog{30s};
  cafman::sync_manager_options options;
  options.types.add<probe>("Probe").method("initialized", &probe::initialized_value);
  options.initializer = [] { initialized = 42; };
  {
    cafman::sync_manager m{options};
    CHECK(m.create("Probe").call("initialized") == value{42});
    CHECK(initialized == 0); // it ran there, not here
  }
  CHECK(no_children_left());
}

TEST_CASE("sync_manager: a throwing initializer fails start() with its message, leaving nothing",
          "[lifecycle]") {
  watchdog dog{30s};
  cafman::sync_manager_options options;
  options.initializer = [] { throw std::runtime_error("no database"); };
  {
    cafman::sync_manager m{options, cafman::start_later};
    CHECK_THAT(lost_message([&] { m.start(); }),
               Contains("did not start: its initializer threw: no database"));
    CHECK_FALSE(m.running());
  }
  CHECK(no_children_left());
}

TEST_CASE("sync_manager: a TCP port and a Unix-domain path of one's choosing", "[lifecycle]") {
  watchdog dog{60s};
  {
    cafman::sync_manager_options options;
    options.unix_socket = false;
    options.port = free_port();
    cafman::sync_manager m{options};
    CHECK(m.address() == "127.0.0.1:" + std::to_string(options.port));
    auto other = cafman::connect(m.address(), options.authkey);
    CHECK(other.number_of_objects() == 0);
    // The port is taken now: a second manager on it says why it failed.
    options.authkey = cafman::authkey::random();
    CHECK_THAT(lost_message([&] { cafman::sync_manager{options}; }),
               Contains("the manager process did not start"));
  }
  {
    auto path = "/tmp/cafman-test-" + std::to_string(::getpid()) + ".sock";
    cafman::sync_manager_options options;
    options.unix_path = path;
    cafman::sync_manager m{options};
    CHECK(m.address() == "unix:" + path);
    auto other = cafman::connect("unix:" + path, options.authkey);
    auto l = other.list({1, 2});
    CHECK(m.number_of_objects() == 1);
    m.shutdown();
    struct stat gone{};
    CHECK(::stat(path.c_str(), &gone) != 0); // the manager removed its socket
  }
  CHECK(no_children_left());
}

TEST_CASE("sync_manager: its process exits when its owner dies, even with a plain fork() child",
          "[lifecycle]") {
  watchdog dog{30s};
  // Orphans become this process's children: the manager, to time its exit,
  // and the plain child, to clean it up.
  REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
  int report[2];
  REQUIRE(::pipe2(report, O_CLOEXEC) == 0);
  pid_t owner = ::fork();
  REQUIRE(owner >= 0);
  if (owner == 0) {
    ::close(report[0]);
    cafman::sync_manager m;
    pid_t plain = ::fork(); // inherits everything the owner holds
    if (plain == 0) {
      ::sleep(20); // bounded, should the test not kill it
      ::_exit(0);
    }
    pid_t pids[2] = {m.pid(), plain};
    cafman::detail::write_all(report[1], pids, sizeof pids);
    hang_until_killed();
  }
  ::close(report[1]);
  pid_t pids[2] = {-1, -1};
  pollfd pfd{report[0], POLLIN, 0};
  REQUIRE(::poll(&pfd, 1, 10000) == 1);
  REQUIRE(::read(report[0], pids, sizeof pids) == static_cast<ssize_t>(sizeof pids));
  ::close(report[0]);
  auto [manager, plain] = pids;
  ::kill(owner, SIGKILL);
  REQUIRE(::waitpid(owner, nullptr, 0) == owner);
  auto exited = cafman::detail::wait_for_exit(manager, 1s);
  CHECK(exited);
  if (!exited) {
    ::kill(manager, SIGKILL);
    ::waitpid(manager, nullptr, 0);
  }
  ::kill(plain, SIGKILL);
  ::waitpid(plain, nullptr, 0);
  ::prctl(PR_SET_CHILD_SUBREAPER, 0);
  CHECK(no_children_left());
}

TEST_CASE("a condition on another manager's lock is refused, naming both managers",
          "[lifecycle]") {
  watchdog dog{30s};
  with_two_managers([](cafman::sync_manager& m1, cafman::sync_manager& m2) {
    auto lock = m1.lock();
    auto rlock = m1.rlock();
    auto same_id = m2.lock(); // m2 may have an object of the lock's id
    auto refusal = [&](auto& foreign_lock) {
      try {
        m2.condition(foreign_lock);
      } catch (const cafman::value_error& e) {
        return std::string{e.what()};
      }
      return std::string{"not refused with a value_error"};
    };
    for (auto text : {refusal(lock), refusal(rlock)})
      CHECK_THAT(text, Contains(m1.address()) && Contains(m2.address())
                         && Contains("must be an object of the same manager"));
    CHECK(m2.number_of_objects() == 1);
    // Its own lock will do. Another connection to the same manager is
    // another client session, which may not use this session's lock.
    auto cond = m1.condition(lock);
    auto other = cafman::connect(m1.address(), m1.authkey());
    CHECK_THROWS_WITH(other.condition(lock), Contains("made or got through this same connection"));
    CHECK(m1.number_of_objects() == 3);
  });
}

TEST_CASE("create arguments holding another manager's proxy are refused", "[lifecycle]") {
  watchdog dog{30s};
  with_two_managers([](cafman::sync_manager& m1, cafman::sync_manager& m2) {
    auto foreign = m1.dict();
    auto refused = Contains("it is not a proxy of this manager");
    CHECK_THROWS_WITH(m2.list({foreign}), refused);
    CHECK_THROWS_WITH(m2.dict({{"inner", foreign}}), refused);
    CHECK_THROWS_WITH(m2.make_namespace({{"inner", list_value{foreign}}}), refused);
    CHECK_THROWS_AS(m2.create("Tally", foreign), cafman::value_error);
    CHECK_THROWS_WITH(m2.create("Tally", list_value{foreign}), refused);
    CHECK_THROWS_WITH(m2.get_or_create<cafman::list_proxy>("l", {foreign}), refused);
    CHECK(m2.number_of_objects() == 0);
    CHECK(m2.create("Tally", 5).call<std::int64_t>("get") == 5);
  });
}

TEST_CASE("the manager gives the memory of freed objects back to the system", "[lifecycle]") {
  if (!rss_is_meaningful)
    return; // ASan's quarantine keeps freed memory by design
  watchdog dog{120s};
  with_manager([](cafman::sync_manager& m) {
    auto before = rss_kib(m.pid());
    std::uint64_t peak = 0;
    {
      std::vector<cafman::dict_proxy> held;
      for (int i = 0; i < 20000; ++i)
        held.push_back(m.dict({{"k", i}}));
      peak = rss_kib(m.pid());
    }
    INFO("manager RSS " << before << " KiB before, " << peak << " KiB with 20,000 dicts");
    REQUIRE(peak > before + 20000);
    // A dict with a key costs the manager its actor (a CAF broker, 1.2 KB),
    // its entries and one line in each of two tables: the registry's
    // (holders inline) and the access table, which also finds it for a
    // call. Its behavior is shared with every other dict
    // (actors/placement.hpp); one of its own cost a kilobyte more, and a
    // second directory (CAF's actor registry) 140 bytes more: 1,900 here.
    auto per_object = (peak - before) * 1024 / 20000;
    INFO("bytes of manager RSS per dict: " << per_object);
    CHECK(per_object < 1980);
    REQUIRE(eventually([&] { return m.number_of_objects() == 0; }, 30s));
    auto returned = [&](std::uint64_t rss) { return rss < before + (peak - before) / 4; };
    std::uint64_t after = 0;
    eventually([&] { return returned(after = rss_kib(m.pid())); }, 15s);
    INFO("after they were freed: " << after << " KiB");
    CHECK(returned(after));
  });
}

TEST_CASE("clear() of a long list or a large dict gives its memory back, as in Python",
          "[lifecycle]") {
  if (!rss_is_meaningful)
    return;
  watchdog dog{120s};
  with_manager([](cafman::sync_manager& m) {
    auto before = rss_kib(m.pid());
    auto l = m.list({1, 2, 3, 4});
    l *= 1'000'000; // 4 million items, built in the manager
    cafman::dict_value items;
    for (std::int64_t i = 0; i < 50'000; ++i)
      items.insert_or_assign(i, i);
    auto d = m.dict(std::move(items));
    auto peak = rss_kib(m.pid());
    INFO("manager RSS " << before << " KiB before, " << peak << " KiB with the list and dict");
    REQUIRE(peak > before + 64 * 1024);
    l.clear();
    d.clear();
    CHECK(l.size() == 0);
    CHECK(d.size() == 0);
    auto returned = [&](std::uint64_t rss) { return rss < before + (peak - before) / 4; };
    std::uint64_t after = 0;
    eventually([&] { return returned(after = rss_kib(m.pid())); }, 15s);
    INFO("after clear(): " << after << " KiB");
    CHECK(returned(after));
  });
}
