// Batches (proxies/batch.hpp): many calls in flight from one thread on one
// stream, against real manager processes: every call gets its own reply or
// exception, calls on one object keep their order across objects and
// windows, a batch's scope carries out every call added, and a stopped or
// lost manager fails the calls due instead of hanging.

#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <signal.h>

#include "cafman/cafman.hpp"
#include "tests/support.hpp"
#include "tests/watchdog.hpp"

using namespace std::chrono_literals;
using cafman::value;
using cafman::testing::eventually;
using cafman::testing::watchdog;
using cafman::testing::with_manager;

TEST_CASE("batch: every call has its reply or exception, in order, whatever the window",
          "[batch]") {
  watchdog dog{60s};
  with_manager([](cafman::sync_manager& m) {
    auto d = m.dict();
    auto l = m.list();
    for (std::size_t window : {1, 3, 64, 10000}) {
      cafman::batch b{m, window};
      std::vector<cafman::batch_reply<value>> olds;
      std::vector<cafman::batch_reply<std::int64_t>> lengths;
      for (int i = 0; i < 1000; ++i) {
        // Each set replaces the value the get before it must see.
        olds.push_back(b.call(d, cafman::get_atom_v, value{i % 7}, value{-1}));
        b.call(d, cafman::put_atom_v, value{i % 7}, value{i});
        b.call(l, cafman::append_atom_v, value{i});
        lengths.push_back(b.call(l, cafman::len_atom_v));
      }
      auto missing = b.call(d, cafman::get_atom_v, value{"missing"});
      auto after = b.call(d, cafman::len_atom_v);
      for (int i = 0; i < 1000; ++i) {
        CHECK(olds[i].get() == (i < 7 ? value{-1} : value{i - 7}));
        CHECK(lengths[i].get() == i + 1);
      }
      CHECK_THROWS_AS(missing.get(), cafman::key_error);
      CHECK(after.get() == 7); // an error breaks nothing after it
      b.call(l, cafman::clear_atom_v);
      b.call(d, cafman::clear_atom_v);
    }
    CHECK(d.size() == 0);
    CHECK(l.size() == 0);
  });
}

TEST_CASE("batch: its scope carries out every call, and references travel in it", "[batch]") {
  watchdog dog{60s};
  with_manager([](cafman::sync_manager& m) {
    auto d = m.dict();
    std::optional<cafman::batch_reply<std::int64_t>> size;
    {
      cafman::batch b{d, 16};
      for (int i = 0; i < 100; ++i)
        b.call(d, cafman::put_atom_v, value{i}, value{std::string(i, 'x')});
      b.call(d, cafman::put_atom_v, value{"inner"}, value{m.list(cafman::list_value{1, 2})});
      size = b.call(d, cafman::len_atom_v);
      CHECK_FALSE(size->ready()); // queued: nothing was sent yet
    }
    CHECK(size->ready());
    CHECK(size->get() == 101);
    CHECK(d.get(value{99}) == value{std::string(99, 'x')});
    // The list lives on through the dict alone.
    CHECK(d.get(value{"inner"}).get<cafman::list_proxy>().size() == 2);
    d.clear();
  });
}

TEST_CASE("batch: a proxy of another connection is refused", "[batch]") {
  watchdog dog{60s};
  with_manager([](cafman::sync_manager& m) {
    auto other = cafman::connect(m.address(), m.authkey());
    auto d = other.dict();
    cafman::batch b{m};
    CHECK_THROWS_AS(b.call(d, cafman::len_atom_v), cafman::value_error);
  });
}

TEST_CASE("batch: a stopped manager times the calls out, a lost one fails them", "[batch]") {
  watchdog dog{60s};
  cafman::testing::server_process server{"batch-secret"};
  {
    auto m = cafman::connect(server.address(), cafman::authkey::from_string("batch-secret"));
    auto d = m.dict().with_timeout(300ms);
    {
      cafman::batch b{d};
      auto before = b.call(d, cafman::len_atom_v);
      CHECK(before.get() == 0);
      REQUIRE(cafman::testing::freeze(server.pid()));
      auto first = b.call(d, cafman::put_atom_v, value{1}, value{1});
      auto second = b.call(d, cafman::len_atom_v);
      auto started = std::chrono::steady_clock::now();
      CHECK_THROWS_AS(second.get(), cafman::timeout_error);
      CHECK(std::chrono::steady_clock::now() - started < 5s);
      CHECK_THROWS_AS(first.get(), cafman::timeout_error);
      CHECK_THROWS_AS(b.call(d, cafman::len_atom_v), cafman::timeout_error);
      ::kill(server.pid(), SIGCONT);
    }
    // The manager goes on, on other streams: the failed one was closed.
    CHECK(eventually([&] { return d.with_timeout(5s).size() == 1; }));
    cafman::batch b{d};
    auto due = b.call(d, cafman::len_atom_v);
    REQUIRE(server.stop(SIGKILL));
    CHECK_THROWS_AS(due.get(), cafman::connection_error);
  }
  CHECK(cafman::testing::no_children_left());
}
