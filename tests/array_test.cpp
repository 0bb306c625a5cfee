// Shared arrays through a real manager process: Python's multiprocessing
// Array semantics (fixed size, one typecode checked on every write, indexes
// and slices with Python's rules) and a child process writing what the
// parent reads.

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>

#include "cafman/cafman.hpp"
#include "tests/support.hpp"
#include "tests/watchdog.hpp"

using namespace std::chrono_literals;
using cafman::list_value;
using cafman::slice;
using cafman::value;
using cafman::testing::watchdog;
using cafman::testing::with_manager;

namespace {

constexpr auto int64_min = std::numeric_limits<std::int64_t>::min();
constexpr auto int64_max = std::numeric_limits<std::int64_t>::max();

/// The message of the cafman error `f` throws, or "" when it throws none.
template <class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const cafman::error& e) {
    return e.what();
  }
  return "";
}

} // namespace

TEST_CASE("array: every typecode, zero-filled by size or from a sequence", "[array]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    for (char code : std::string{"bBhHiIlLqQ"}) {
      INFO("typecode " << code);
      auto a = m.array(code, 3);
      CHECK(a.typecode() == code);
      CHECK(a.size() == 3);
      CHECK(a.copy() == list_value{0, 0, 0});
    }
    for (char code : std::string{"fd"}) {
      INFO("typecode " << code);
      auto a = m.array(code, 2);
      CHECK(a.typecode() == code);
      CHECK(a.copy() == list_value{0.0, 0.0});
      CHECK(a.get(0).is_double());
    }
    auto doubles = m.array('d', list_value{1, 2.5});
    CHECK(doubles.copy() == list_value{1.0, 2.5});
    CHECK(doubles.get(0).is_double()); // ints are stored as floats
    auto ints = m.array('i', list_value{3, -4, 5});
    CHECK(ints.size() == 3);
    CHECK(ints.copy() == list_value{3, -4, 5});
    CHECK(m.array('b', 0).size() == 0);
    CHECK(m.array('b', list_value{}).copy().empty());
    // Actor handles need BASP, which a manager serves only when allowed.
    CHECK_THROWS_WITH(ints.actor(), Catch::Contains("allow_basp"));
  });
}

TEST_CASE("array: each integer typecode's range is checked on every write", "[array]") {
  watchdog dog{30s};
  struct range {
    char code;
    std::int64_t min;
    std::int64_t max;
  };
  const range ranges[] = {
      {'b', -128, 127},
      {'B', 0, 255},
      {'h', -32768, 32767},
      {'H', 0, 65535},
      {'i', -2147483648LL, 2147483647LL},
      {'I', 0, 4294967295LL},
      {'l', int64_min, int64_max},
      {'L', 0, int64_max},
      {'q', int64_min, int64_max},
      {'Q', 0, int64_max},
  };
  with_manager([&](cafman::sync_manager& m) {
    for (auto& r : ranges) {
      INFO("typecode " << r.code);
      auto a = m.array(r.code, 1);
      a.set(0, r.min);
      CHECK(a.get(0) == value{r.min});
      a.set(0, r.max);
      CHECK(a.get(0) == value{r.max});
      if (r.min != int64_min)
        CHECK_THROWS_AS(a.set(0, r.min - 1), cafman::value_error);
      if (r.max != int64_max)
        CHECK_THROWS_AS(a.set(0, r.max + 1), cafman::value_error);
      CHECK(a.get(0) == value{r.max}); // a refused write changes nothing
      CHECK_THROWS_AS(a.set(0, "x"), cafman::type_error);
      CHECK_THROWS_AS(a.set(0, 1.5), cafman::type_error);
    }
    auto bytes = m.array('b', 1);
    CHECK(message_of([&] { bytes.set(0, 300); }) ==
          "300 is out of range for typecode 'b' (-128 to 127)");
    CHECK(message_of([&] { bytes.set(0, value{}); }) == "typecode 'b' needs an int, got NoneType");
    auto floats = m.array('f', 1);
    floats.set(0, 2);
    CHECK(floats.get(0) == value{2.0});
    CHECK_THROWS_AS(floats.set(0, "x"), cafman::type_error);
  });
}

TEST_CASE("array: indexes, negative indexes, operator[] and bounds", "[array]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto a = m.array('i', list_value{10, 20, 30});
    CHECK(a.get(0) == value{10});
    CHECK(a.get(-1) == value{30});
    CHECK(a.get(-3) == value{10});
    a[1] = 25;
    value v = a[1];
    CHECK(v == value{25});
    a.set(-1, 35);
    CHECK(a.copy() == list_value{10, 25, 35});
    CHECK_THROWS_AS(a.get(3), cafman::index_error);
    CHECK_THROWS_AS(a.get(-4), cafman::index_error);
    CHECK_THROWS_AS(a.set(3, 1), cafman::index_error);
    CHECK_THROWS_AS(a.set(-4, 1), cafman::index_error);
    CHECK(message_of([&] { a.get(5); }) == "array index 5 out of range (size 3)");
    CHECK(a.size() == 3); // the size never changes
  });
}

TEST_CASE("array: slices read and write with Python's rules, size fixed", "[array]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto a = m.array('h', list_value{0, 1, 2, 3, 4, 5});
    CHECK(a.get(slice{1, 4}) == list_value{1, 2, 3});
    CHECK(a.get(slice{}) == list_value{0, 1, 2, 3, 4, 5});
    CHECK(a.get(slice{{}, {}, -1}) == list_value{5, 4, 3, 2, 1, 0});
    CHECK(a.get(slice{-2}) == list_value{4, 5});
    CHECK(a.get(slice{{}, -4}) == list_value{0, 1});
    CHECK(a.get(slice{1, {}, 2}) == list_value{1, 3, 5});
    CHECK(a.get(slice{4, 1, -2}) == list_value{4, 2});
    CHECK(a.get(slice{10, 20}).empty());
    CHECK(a.get(slice{-100, 2}) == list_value{0, 1});
    CHECK_THROWS_AS(a.get(slice{{}, {}, 0}), cafman::value_error);
    a.set(slice{1, 3}, {7, 8});
    CHECK(a.copy() == list_value{0, 7, 8, 3, 4, 5});
    a.set(slice{0, 6, 2}, {9, 9, 9});
    CHECK(a.copy() == list_value{9, 7, 9, 3, 9, 5});
    a.set(slice{{}, {}, -1}, {0, 1, 2, 3, 4, 5});
    CHECK(a.copy() == list_value{5, 4, 3, 2, 1, 0});
    a.set(slice{2, 2}, {}); // an empty slice takes no items
    // The size is fixed: as many items as the slice selects, no more, no less.
    CHECK_THROWS_AS(a.set(slice{1, 3}, {1}), cafman::value_error);
    CHECK_THROWS_AS(a.set(slice{1, 3}, {1, 2, 3}), cafman::value_error);
    CHECK_THROWS_AS(a.set(slice{{}, {}, 2}, {1}), cafman::value_error);
    CHECK(message_of([&] {
            a.set(slice{0, 2}, {1});
          }) == "cannot assign 1 item(s) to an array slice of 2: an array's size is fixed, so "
                "pass as many items as the slice selects");
    // Every item is checked before any is written.
    CHECK_THROWS_AS(a.set(slice{0, 2}, {1, "x"}), cafman::type_error);
    CHECK_THROWS_AS(a.set(slice{0, 2}, {1, 40000}), cafman::value_error);
    CHECK_THROWS_AS(a.set(slice{{}, {}, 0}, {}), cafman::value_error);
    CHECK(a.copy() == list_value{5, 4, 3, 2, 1, 0});
    CHECK(a.size() == 6);
  });
}

TEST_CASE("array: bad constructor arguments", "[array]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    CHECK(message_of([&] { m.array('z', 3); }) ==
          "bad typecode 'z' (must be b, B, h, H, i, I, l, L, q, Q, f or d)");
    CHECK_THROWS_AS(m.array('z', list_value{}), cafman::value_error);
    CHECK(message_of([&] { m.array('i', -1); }) == "Array() size must be zero or positive, got -1");
    CHECK_THROWS_AS(m.array('i', std::int64_t{1} << 40), cafman::value_error);
    CHECK_THROWS_AS(m.array('b', list_value{1, 300}), cafman::value_error);
    CHECK_THROWS_AS(m.array('i', list_value{1, "x"}), cafman::type_error);
    CHECK_THROWS_AS(m.array('d', list_value{value{}}), cafman::type_error);
    CHECK(m.number_of_objects() == 0); // nothing was created
  });
}

TEST_CASE("array: a child process writes elements the parent reads", "[array]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto a = m.array('q', 5);
    cafman::process writer{[](cafman::array_proxy shared) {
                             for (std::int64_t i = 0; i < 5; ++i)
                               shared[i] = i * i;
                             shared.set(slice{3, 5}, {-1, -2});
                           },
                           a};
    REQUIRE(writer.join(10s));
    CHECK(writer.exitcode() == 0);
    CHECK(a.copy() == list_value{0, 1, 4, -1, -2});
    CHECK(a[2].get() == value{4});
  });
}
