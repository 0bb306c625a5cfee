#include "cafman/value.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/deep_to_string.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>
#include <caf/sec.hpp>

#include <catch2/catch.hpp>

#include "cafman/errors.hpp"

using cafman::bytes_value;
using cafman::dict_value;
using cafman::kind;
using cafman::list_value;
using cafman::value;

namespace {

constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();
constexpr double infinity = std::numeric_limits<double>::infinity();

std::vector<char> serialize(const value& x, caf::error& err) {
  std::vector<char> buf;
  caf::binary_serializer sink{nullptr, buf};
  auto copy = x;
  err = sink(copy);
  return buf;
}

caf::error deserialize(const std::vector<char>& buf, value& x) {
  caf::binary_deserializer source{nullptr, buf};
  auto err = source(x);
  if (!err && source.remaining() != 0)
    FAIL("deserializer left " << source.remaining() << " bytes unread");
  return err;
}

value round_trip(const value& x) {
  caf::error err;
  auto buf = serialize(x, err);
  REQUIRE(!err);
  value result;
  REQUIRE(!deserialize(buf, result));
  return result;
}

value nested_lists(std::size_t depth) {
  value result = list_value{};
  for (std::size_t i = 1; i < depth; ++i)
    result = list_value{result};
  return result;
}

std::uint8_t tag(kind k) {
  return static_cast<std::uint8_t>(k);
}

} // namespace

// -- construction -------------------------------------------------------------

static_assert(std::is_nothrow_move_constructible_v<value>,
              "vector<value> must move, not copy, on reallocation");
static_assert(std::is_nothrow_move_constructible_v<dict_value>);
static_assert(!std::is_convertible_v<int*, value>,
              "a pointer must not turn into a bool");
static_assert(!std::is_constructible_v<value, std::nullptr_t>);
static_assert(!std::is_convertible_v<std::vector<int*>, value>);

TEST_CASE("value: construction from C++ types picks the Python kind",
          "[value]") {
  CHECK(value{}.type() == kind::none);
  CHECK(value{cafman::none}.type() == kind::none);
  CHECK(value{true}.type() == kind::boolean);
  CHECK(value{false}.as_bool() == false);
  CHECK(value{'a'}.as_int() == 97);
  CHECK(value{static_cast<signed char>(-5)}.as_int() == -5);
  CHECK(value{static_cast<short>(-300)}.as_int() == -300);
  CHECK(value{42}.type() == kind::integer);
  CHECK(value{42u}.as_int() == 42);
  CHECK(value{-42L}.as_int() == -42);
  CHECK(value{std::numeric_limits<long long>::min()}.as_int()
        == std::numeric_limits<std::int64_t>::min());
  CHECK(value{std::size_t{7}}.as_int() == 7);
  CHECK(value{std::uint64_t{INT64_MAX}}.as_int() == INT64_MAX);
  CHECK(value{1.5f}.type() == kind::floating);
  CHECK(value{1.5f}.as_double() == 1.5);
  CHECK(value{2.25}.as_double() == 2.25);
  CHECK(value{"x"}.type() == kind::string);
  char mutable_text[] = "abc";
  CHECK(value{static_cast<char*>(mutable_text)}.as_string() == "abc");
  CHECK(value{std::string{"s"}}.as_string() == "s");
  CHECK(value{std::string_view{"view"}}.as_string() == "view");
  CHECK(value{bytes_value{1, 2}}.type() == kind::bytes);
  CHECK(value{std::vector<std::uint8_t>{1, 2}}.as_bytes()
        == bytes_value{1, 2});
  CHECK(value{list_value{1, "a"}}.type() == kind::list);
  CHECK(value{dict_value{{"k", 1}}}.type() == kind::dict);
}

TEST_CASE("value: unsigned integers above INT64_MAX are rejected", "[value]") {
  auto too_big = std::uint64_t{INT64_MAX} + 1;
  CHECK_THROWS_AS(value{too_big}, cafman::value_error);
  CHECK_THROWS_WITH(value{std::numeric_limits<std::uint64_t>::max()},
                    "int 18446744073709551615 does not fit in a signed "
                    "64-bit integer");
}

TEST_CASE("value: a null const char* is rejected", "[value]") {
  const char* null_text = nullptr;
  CHECK_THROWS_AS(value{null_text}, cafman::value_error);
}

TEST_CASE("value: vectors become lists, maps become dicts", "[value]") {
  value ints = std::vector<int>{1, 2, 3};
  REQUIRE(ints.is_list());
  CHECK(ints.repr() == "[1, 2, 3]");
  CHECK(value{std::vector<std::string>{"a", "b"}}.repr() == "['a', 'b']");
  CHECK(value{std::vector<bool>{true, false}}.repr() == "[True, False]");
  CHECK(value{std::vector<std::vector<double>>{{1.5}, {}}}.repr()
        == "[[1.5], []]");
  value m = std::map<std::string, int>{{"b", 2}, {"a", 1}};
  REQUIRE(m.is_dict());
  CHECK(m.repr() == "{'a': 1, 'b': 2}");
  value um = std::unordered_map<int, std::string>{{1, "one"}};
  REQUIRE(um.is_dict());
  CHECK(um.as_dict().at(1) == "one");
}

TEST_CASE("value: assignment converts like construction", "[value]") {
  value x;
  x = 42;
  CHECK(x.is_int());
  x = "text";
  CHECK(x.is_string());
  x = std::vector<int>{1};
  CHECK(x.is_list());
  x = cafman::none;
  CHECK(x.is_none());
}

// -- queries and typed access -------------------------------------------------

TEST_CASE("value: type() and type_name() use Python's names", "[value]") {
  CHECK(std::string{value{}.type_name()} == "NoneType");
  CHECK(std::string{value{true}.type_name()} == "bool");
  CHECK(std::string{value{1}.type_name()} == "int");
  CHECK(std::string{value{1.0}.type_name()} == "float");
  CHECK(std::string{value{"s"}.type_name()} == "str");
  CHECK(std::string{value{bytes_value{}}.type_name()} == "bytes");
  CHECK(std::string{value{list_value{}}.type_name()} == "list");
  CHECK(std::string{value{dict_value{}}.type_name()} == "dict");
}

TEST_CASE("value: is_* predicates match exactly one kind", "[value]") {
  std::vector<value> xs{cafman::none,      true,          1,
                        1.0,               "s",           bytes_value{},
                        list_value{},      dict_value{}};
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const auto& x = xs[i];
    std::vector<bool> flags{x.is_none(),   x.is_bool(),  x.is_int(),
                            x.is_double(), x.is_string(), x.is_bytes(),
                            x.is_list(),   x.is_dict()};
    CHECK(static_cast<std::size_t>(x.type()) == i);
    CHECK(std::count(flags.begin(), flags.end(), true) == 1);
    CHECK(flags[i]);
  }
}

TEST_CASE("value: typed access throws type_error naming both types",
          "[value]") {
  CHECK_THROWS_AS(value{"abc"}.as_int(), cafman::type_error);
  CHECK_THROWS_WITH(value{"abc"}.as_int(),
                    "expected int, got str (value: 'abc')");
  CHECK_THROWS_WITH(value{1}.as_bool(), "expected bool, got int (value: 1)");
  CHECK_THROWS_WITH(value{}.as_double(),
                    "expected float, got NoneType (value: None)");
  CHECK_THROWS_WITH(value{2.5}.as_string(),
                    "expected str, got float (value: 2.5)");
  CHECK_THROWS_WITH(value{"b"}.as_bytes(),
                    "expected bytes, got str (value: 'b')");
  CHECK_THROWS_WITH(value{dict_value{}}.as_list(),
                    "expected list, got dict (value: {})");
  CHECK_THROWS_WITH(value{list_value{}}.as_dict(),
                    "expected dict, got list (value: [])");
  value text{"x"};
  const value& const_text = text;
  CHECK_THROWS_AS(text.as_list(), cafman::type_error);
  CHECK_THROWS_AS(const_text.as_dict(), cafman::type_error);
}

TEST_CASE("value: type_error messages cut long values short", "[value]") {
  value long_text{std::string(1000, 'x')};
  try {
    long_text.as_int();
    FAIL("as_int() did not throw");
  } catch (const cafman::type_error& e) {
    std::string what = e.what();
    CHECK(what.size() < 200);
    CHECK(what.find("...") != std::string::npos);
  }
}

TEST_CASE("value: numeric access follows Python's conversions", "[value]") {
  CHECK(value{true}.as_int() == 1);
  CHECK(value{3}.as_double() == 3.0);
  CHECK(value{true}.as_double() == 1.0);
  CHECK_THROWS_AS(value{1.0}.as_int(), cafman::type_error);
}

TEST_CASE("value: mutable access changes the value in place", "[value]") {
  value xs = list_value{1};
  xs.as_list().push_back(2);
  CHECK(xs.repr() == "[1, 2]");
  value d = dict_value{};
  d.as_dict()["k"] = 1;
  CHECK(d.repr() == "{'k': 1}");
}

TEST_CASE("value: get<T> converts with range checks", "[value]") {
  CHECK(value{true}.get<bool>());
  CHECK(value{200}.get<std::uint8_t>() == 200);
  CHECK(value{-128}.get<std::int8_t>() == -128);
  CHECK(value{INT64_MIN}.get<std::int64_t>() == INT64_MIN);
  CHECK(value{INT64_MAX}.get<std::uint64_t>() == std::uint64_t{INT64_MAX});
  CHECK(value{7}.get<double>() == 7.0);
  CHECK(value{0.5}.get<float>() == 0.5f);
  CHECK(value{"s"}.get<std::string>() == "s");
  CHECK(value{bytes_value{9}}.get<bytes_value>() == bytes_value{9});
  CHECK(value{dict_value{{1, 2}}}.get<dict_value>().at(1) == 2);
  CHECK(value{3}.get<value>() == 3);
  CHECK(value{std::vector<int>{1, 2}}.get<std::vector<int>>()
        == std::vector<int>{1, 2});
  CHECK(value{std::vector<std::vector<std::string>>{{"a"}}}
          .get<std::vector<std::vector<std::string>>>()
        == std::vector<std::vector<std::string>>{{"a"}});
}

TEST_CASE("value: get<T> rejects out-of-range ints and wrong kinds",
          "[value]") {
  CHECK_THROWS_AS(value{300}.get<std::uint8_t>(), cafman::value_error);
  CHECK_THROWS_WITH(value{300}.get<std::uint8_t>(),
                    "int 300 does not fit in an unsigned 8-bit integer");
  CHECK_THROWS_WITH(value{-129}.get<std::int8_t>(),
                    "int -129 does not fit in a signed 8-bit integer");
  CHECK_THROWS_AS(value{-1}.get<std::uint64_t>(), cafman::value_error);
  CHECK_THROWS_AS(value{-1}.get<unsigned>(), cafman::value_error);
  CHECK_THROWS_AS(value{INT64_MAX}.get<int>(), cafman::value_error);
  CHECK_THROWS_AS(value{"1"}.get<int>(), cafman::type_error);
  CHECK_THROWS_AS(value{1}.get<bool>(), cafman::type_error);
  CHECK_THROWS_AS((value{list_value{1, "x"}}.get<std::vector<int>>()),
                  cafman::type_error);
  CHECK_THROWS_AS(value{1}.get<std::vector<int>>(), cafman::type_error);
}

TEST_CASE("value: visit hands over the stored alternative", "[value]") {
  auto name = [](const auto& x) -> std::string {
    using type = std::decay_t<decltype(x)>;
    if constexpr (std::is_same_v<type, std::int64_t>)
      return "int64";
    else if constexpr (std::is_same_v<type, std::string>)
      return "string";
    else
      return "other";
  };
  CHECK(value{1}.visit(name) == "int64");
  CHECK(value{"a"}.visit(name) == "string");
  CHECK(value{1.0}.visit(name) == "other");
}

// -- equality and hashing -----------------------------------------------------

TEST_CASE("value: numbers are equal across bool, int and float", "[value]") {
  CHECK(value{1} == value{1.0});
  CHECK(value{1.0} == value{true});
  CHECK(value{true} == value{1});
  CHECK(value{0} == value{false});
  CHECK(value{0} == value{-0.0});
  CHECK(value{1} != value{1.5});
  CHECK(value{2} != value{true});
  CHECK(value{1} == 1);
  CHECK(1.0 == value{1});
}

TEST_CASE("value: int/float equality is exact", "[value]") {
  constexpr std::int64_t two_pow_53 = std::int64_t{1} << 53;
  CHECK(value{two_pow_53} == value{9007199254740992.0});
  CHECK(value{two_pow_53 + 1} != value{9007199254740992.0});
  CHECK(value{INT64_MAX} != value{9223372036854775808.0});
  CHECK(value{INT64_MIN} == value{-9223372036854775808.0});
  CHECK(value{0} != value{infinity});
}

TEST_CASE("value: NaN equals nothing, not even itself", "[value]") {
  CHECK(value{not_a_number} != value{not_a_number});
  CHECK(value{not_a_number} != value{0});
  CHECK(value{list_value{not_a_number}} != value{list_value{not_a_number}});
}

TEST_CASE("value: other kinds compare by content and never across kinds",
          "[value]") {
  CHECK(value{} == value{cafman::none});
  CHECK(value{} != value{0});
  CHECK(value{} != value{false});
  CHECK(value{"1"} != value{1});
  CHECK(value{"a"} == value{std::string{"a"}});
  CHECK(value{"a"} != value{bytes_value{'a'}});
  CHECK(value{bytes_value{1, 2}} == value{bytes_value{1, 2}});
  CHECK(value{list_value{1, 2.0}} == value{list_value{1.0, 2}});
  CHECK(value{list_value{1, 2}} != value{list_value{1, 2, 3}});
  CHECK(value{list_value{}} != value{dict_value{}});
}

TEST_CASE("value: dicts compare equal regardless of insertion order",
          "[value]") {
  dict_value x{{"a", 1}, {"b", list_value{1, 2}}};
  dict_value y{{"b", list_value{1.0, 2}}, {"a", true}};
  CHECK(x == y);
  CHECK(value{x} == value{y});
  y["b"] = 3;
  CHECK(x != y);
  y.erase("b");
  CHECK(x != y);
  y["c"] = list_value{1, 2};
  CHECK(x != y);
}

TEST_CASE("value: hash agrees with equality", "[value]") {
  CHECK(value{1}.hash() == value{1.0}.hash());
  CHECK(value{1}.hash() == value{true}.hash());
  CHECK(value{0}.hash() == value{-0.0}.hash());
  CHECK(value{-5}.hash() == value{-5.0}.hash());
  CHECK(value{"a"}.hash() == value{std::string_view{"a"}}.hash());
  CHECK(value{list_value{1, "x"}}.hash() == value{list_value{1.0, "x"}}.hash());
  dict_value x{{"a", 1}, {"b", 2}};
  dict_value y{{"b", 2.0}, {"a", 1}};
  CHECK(value{x}.hash() == value{y}.hash());
  CHECK(std::hash<value>{}(value{3}) == value{3.0}.hash());
  // Not required by ==, but a hash that ignored the content would pass the
  // checks above.
  CHECK(value{1}.hash() != value{2}.hash());
  CHECK(value{"a"}.hash() != value{bytes_value{'a'}}.hash());
  CHECK(value{0.5}.hash() != value{0}.hash());
}

TEST_CASE("value: works as a key of std::unordered_set", "[value]") {
  std::unordered_set<value> xs{1, 1.0, true, "1", 2.5, cafman::none};
  CHECK(xs.size() == 4);
  CHECK(xs.count(value{1.0}) == 1);
  CHECK(xs.count(value{2}) == 0);
}

// -- ordering -----------------------------------------------------------------

TEST_CASE("value: sort orders a mixed list as documented", "[value]") {
  list_value xs{"b",     2,      cafman::none, list_value{1}, 1.5,
                bytes_value{'a'}, true, dict_value{{"k", 1}}, "a",
                not_a_number,     -infinity,   list_value{},  dict_value{}};
  std::sort(xs.begin(), xs.end());
  CHECK(value{xs}.repr()
        == "[None, -inf, True, 1.5, 2, nan, 'a', 'b', b'a', [], [1], {}, "
           "{'k': 1}]");
}

TEST_CASE("value: relational operators", "[value]") {
  CHECK(value{1} < value{2});
  CHECK(value{1} <= value{1.0});
  CHECK(value{2.5} > value{2});
  CHECK(value{true} >= value{1});
  CHECK(value{"a"} < value{"ab"});
  CHECK(value{bytes_value{1}} < value{bytes_value{1, 0}});
  CHECK(value{list_value{1, 2}} < value{list_value{1, 3}});
  CHECK(value{list_value{1}} < value{list_value{1, 0}});
  CHECK(value{} < value{false});
  CHECK(value{99} < value{""});
  CHECK(value{"zzz"} < value{bytes_value{}});
  CHECK(value{bytes_value{0xff}} < value{list_value{}});
  CHECK(value{list_value{99}} < value{dict_value{}});
}

TEST_CASE("value: ints and floats order exactly", "[value]") {
  constexpr std::int64_t two_pow_53 = std::int64_t{1} << 53;
  CHECK(value{two_pow_53 + 1} > value{9007199254740992.0});
  CHECK(value{9007199254740992.0} < value{two_pow_53 + 1});
  CHECK(value{INT64_MAX} < value{9223372036854775808.0});
  CHECK(value{INT64_MIN} > value{-infinity});
  CHECK(value{-1} < value{-0.5});
  CHECK(value{-1} > value{-1.5});
}

TEST_CASE("value: NaN keeps the order strict weak", "[value]") {
  value n{not_a_number};
  CHECK_FALSE(n < n);
  CHECK(n.compare(value{not_a_number}) == 0);
  CHECK(value{infinity} < n);
  CHECK(value{INT64_MAX} < n);
  CHECK(n < value{""});
  CHECK(n > value{true});
}

TEST_CASE("value: dicts order by size, then by items sorted by key",
          "[value]") {
  dict_value small{{"z", 9}};
  dict_value big{{"a", 0}, {"b", 0}};
  CHECK(value{small} < value{big});
  dict_value x{{"a", 1}, {"b", 2}};
  dict_value y{{"b", 2}, {"a", 1}};
  CHECK(value{x}.compare(value{y}) == 0);
  dict_value z{{"a", 1}, {"b", 3}};
  CHECK(value{x} < value{z});
  dict_value w{{"a", 1}, {"c", 0}};
  CHECK(value{x} < value{w});
}

// -- repr ---------------------------------------------------------------------

TEST_CASE("value: repr of scalars", "[value]") {
  CHECK(value{}.repr() == "None");
  CHECK(value{true}.repr() == "True");
  CHECK(value{false}.repr() == "False");
  CHECK(value{42}.repr() == "42");
  CHECK(value{INT64_MIN}.repr() == "-9223372036854775808");
}

TEST_CASE("value: repr of floats matches Python", "[value]") {
  CHECK(value{2.0}.repr() == "2.0");
  CHECK(value{3.5}.repr() == "3.5");
  CHECK(value{0.1}.repr() == "0.1");
  CHECK(value{-0.0}.repr() == "-0.0");
  CHECK(value{0.0}.repr() == "0.0");
  CHECK(value{1e100}.repr() == "1e+100");
  CHECK(value{1.5e300}.repr() == "1.5e+300");
  CHECK(value{1e16}.repr() == "1e+16");
  CHECK(value{1e15}.repr() == "1000000000000000.0");
  CHECK(value{123456.789}.repr() == "123456.789");
  CHECK(value{0.0001}.repr() == "0.0001");
  CHECK(value{1e-05}.repr() == "1e-05");
  CHECK(value{-1.5e-07}.repr() == "-1.5e-07");
  CHECK(value{1.0 / 3}.repr() == "0.3333333333333333");
  CHECK(value{5e-324}.repr() == "5e-324");
  CHECK(value{infinity}.repr() == "inf");
  CHECK(value{-infinity}.repr() == "-inf");
  CHECK(value{not_a_number}.repr() == "nan");
}

TEST_CASE("value: repr of strings quotes and escapes like Python",
          "[value]") {
  CHECK(value{"abc"}.repr() == "'abc'");
  CHECK(value{""}.repr() == "''");
  CHECK(value{"it's"}.repr() == "\"it's\"");
  CHECK(value{"say \"hi\""}.repr() == "'say \"hi\"'");
  CHECK(value{"it's \"x\""}.repr() == "'it\\'s \"x\"'");
  CHECK(value{"a\nb\tc\rd\\"}.repr() == "'a\\nb\\tc\\rd\\\\'");
  CHECK(value{std::string{"\x01\x7f", 2}}.repr() == "'\\x01\\x7f'");
  CHECK(value{std::string{"\0", 1}}.repr() == "'\\x00'");
  CHECK(value{"caf\xc3\xa9"}.repr() == "'caf\xc3\xa9'");
}

TEST_CASE("value: repr of bytes", "[value]") {
  CHECK(value{bytes_value{}}.repr() == "b''");
  CHECK(value{bytes_value{'a', 0, 0xff, '\n', '\''}}.repr()
        == "b\"a\\x00\\xff\\n'\"");
  CHECK(value{bytes_value{'\\', 0x7f, 0x80}}.repr() == "b'\\\\\\x7f\\x80'");
}

TEST_CASE("value: repr of containers", "[value]") {
  CHECK(value{list_value{}}.repr() == "[]");
  CHECK(value{dict_value{}}.repr() == "{}");
  CHECK(value{list_value{1, "a", cafman::none, 2.0}}.repr()
        == "[1, 'a', None, 2.0]");
  value nested = dict_value{
    {"k", list_value{1, dict_value{{"x", bytes_value{'y'}}}}},
    {2, list_value{value{list_value{}}}},
    {cafman::none, true}};
  CHECK(nested.repr() == "{'k': [1, {'x': b'y'}], 2: [[]], None: True}");
}

TEST_CASE("value: operator<< and to_string print repr", "[value]") {
  value x = list_value{1, "a"};
  std::ostringstream out;
  out << x;
  CHECK(out.str() == "[1, 'a']");
  CHECK(to_string(x) == "[1, 'a']");
}

// -- dict_value ---------------------------------------------------------------

namespace {

std::vector<std::string> keys_of(const dict_value& d) {
  std::vector<std::string> result;
  for (const auto& [key, val] : d)
    result.push_back(key.repr());
  return result;
}

} // namespace

TEST_CASE("dict_value: keeps insertion order", "[value]") {
  dict_value d{{"id", 1}, {"op", "square"}};
  d["z"] = 3;
  d["a"] = 4;
  CHECK(keys_of(d) == std::vector<std::string>{"'id'", "'op'", "'z'", "'a'"});
  CHECK(d.size() == 4);
}

TEST_CASE("dict_value: re-assigning a key keeps its position", "[value]") {
  dict_value d{{"a", 1}, {"b", 2}, {"c", 3}};
  d["a"] = 10;
  CHECK_FALSE(d.insert_or_assign("b", 20));
  CHECK(value{d}.repr() == "{'a': 10, 'b': 20, 'c': 3}");
}

TEST_CASE("dict_value: erase then insert moves a key to the end",
          "[value]") {
  dict_value d{{"a", 1}, {"b", 2}, {"c", 3}};
  CHECK(d.erase("a"));
  CHECK_FALSE(d.erase("a"));
  CHECK(d.insert_or_assign("a", 1));
  CHECK(value{d}.repr() == "{'b': 2, 'c': 3, 'a': 1}");
}

TEST_CASE("dict_value: a repeated key in the initializer list keeps its "
          "first position and its last value",
          "[value]") {
  dict_value d{{"a", 1}, {"b", 2}, {"a", 3}};
  CHECK(value{d}.repr() == "{'a': 3, 'b': 2}");
}

TEST_CASE("dict_value: pop_last is LIFO like popitem", "[value]") {
  dict_value d{{"a", 1}, {"b", 2}};
  d["c"] = 3;
  auto [k3, v3] = d.pop_last();
  CHECK(k3 == "c");
  CHECK(v3 == 3);
  auto [k2, v2] = d.pop_last();
  CHECK(k2 == "b");
  CHECK(v2 == 2);
  d["d"] = 4;
  CHECK(d.pop_last().first == "d");
  CHECK(d.pop_last().first == "a");
  CHECK(d.empty());
  CHECK_THROWS_AS(d.pop_last(), cafman::key_error);
  CHECK_THROWS_WITH(d.pop_last(), "popitem(): dictionary is empty");
}

TEST_CASE("dict_value: lookup functions", "[value]") {
  dict_value d{{"x", 1}};
  const dict_value& cd = d;
  CHECK(d.contains("x"));
  CHECK_FALSE(d.contains("y"));
  REQUIRE(d.find("x") != nullptr);
  CHECK(*d.find("x") == 1);
  CHECK(cd.find("y") == nullptr);
  *d.find("x") = 5;
  CHECK(cd.at("x") == 5);
  d.at("x") = 6;
  CHECK(d.at("x") == 6);
  CHECK_THROWS_AS(d.at("y"), cafman::key_error);
  CHECK_THROWS_WITH(cd.at("y"), "key not found: 'y'");
  CHECK_THROWS_WITH(d.at(7), "key not found: 7");
}

TEST_CASE("dict_value: operator[] inserts None for a missing key",
          "[value]") {
  dict_value d;
  CHECK(d["k"].is_none());
  CHECK(d.size() == 1);
  d["k"] = 42;
  CHECK(d.at("k") == 42);
}

TEST_CASE("dict_value: numerically equal keys are the same key", "[value]") {
  dict_value d;
  d[1] = "int";
  d[1.0] = "float";
  d[true] = "bool";
  CHECK(d.size() == 1);
  CHECK(d.at(1) == "bool");
  CHECK(d.begin()->first.is_int());
  CHECK(d.erase(1.0));
  CHECK(d.empty());
}

TEST_CASE("dict_value: containers may be keys", "[value]") {
  dict_value d;
  d[list_value{1, 2}] = "list";
  d[dict_value{{"a", 1}}] = "dict";
  CHECK(d.at(list_value{1.0, 2}) == "list");
  CHECK(d.at(dict_value{{"a", true}}) == "dict");
}

TEST_CASE("dict_value: NaN keys behave as in Python and can be removed",
          "[value]") {
  dict_value d;
  d[not_a_number] = 1;
  d[not_a_number] = 2;
  CHECK(d.size() == 2);
  CHECK_FALSE(d.contains(not_a_number));
  CHECK(d.pop_last().second == 2);
  CHECK(d.pop_last().second == 1);
  CHECK(d.empty());
  d[not_a_number] = 3;
  d.clear();
  CHECK(d.empty());
}

TEST_CASE("dict_value: clear and iteration", "[value]") {
  dict_value d{{"a", 1}, {"b", 2}};
  for (auto& [key, val] : d)
    val = val.as_int() * 10;
  CHECK(value{d}.repr() == "{'a': 10, 'b': 20}");
  d.clear();
  CHECK(d.empty());
  CHECK(d.begin() == d.end());
  d["c"] = 1;
  CHECK(d.size() == 1);
}

TEST_CASE("dict_value: a moved-from dict is empty and usable", "[value]") {
  dict_value d{{"a", 1}};
  dict_value e{std::move(d)};
  CHECK(e.size() == 1);
  CHECK(d.empty()); // using a moved-from dict is documented to work
  CHECK(d.begin() == d.end());
  CHECK(d.find("a") == nullptr);
  CHECK_FALSE(d.erase("a"));
  d["b"] = 2;
  CHECK(value{d}.repr() == "{'b': 2}");
}

// -- copies -------------------------------------------------------------------

TEST_CASE("value: copies are deep and independent", "[value]") {
  value original = dict_value{{"list", list_value{1, 2}},
                              {"dict", dict_value{{"k", "v"}}}};
  value copy = original;
  copy.as_dict().at("list").as_list().push_back(3);
  copy.as_dict().at("dict").as_dict()["k"] = "changed";
  copy.as_dict()["new"] = 1;
  CHECK(original.repr() == "{'list': [1, 2], 'dict': {'k': 'v'}}");
  CHECK(copy.repr()
        == "{'list': [1, 2, 3], 'dict': {'k': 'changed'}, 'new': 1}");
  value assigned;
  assigned = original;
  assigned.as_dict().erase("list");
  CHECK(original.as_dict().contains("list"));
}

TEST_CASE("dict_value: copies rebuild the index", "[value]") {
  dict_value d{{"a", 1}, {"b", 2}};
  dict_value copy;
  copy = d;
  d.erase("a");
  CHECK(copy.at("a") == 1);
  CHECK(copy.erase("b"));
  CHECK(d.contains("b"));
  const auto& alias = copy;
  copy = alias; // self-assignment must keep the content
  CHECK(copy.size() == 1);
}

// -- wire format --------------------------------------------------------------

TEST_CASE("value: every kind survives a round trip through CAF", "[value]") {
  std::vector<value> xs{cafman::none,
                        true,
                        false,
                        0,
                        INT64_MIN,
                        INT64_MAX,
                        2.5,
                        -0.0,
                        infinity,
                        -infinity,
                        5e-324,
                        "",
                        std::string{"nul\0inside", 10},
                        std::string(100000, 'x'),
                        bytes_value{},
                        bytes_value{0, 1, 0xff},
                        list_value{},
                        list_value{1, "a", list_value{2.5}},
                        dict_value{},
                        dict_value{{"b", 1}, {"a", list_value{cafman::none}}}};
  for (const auto& x : xs) {
    INFO(x.repr().substr(0, 40));
    auto y = round_trip(x);
    CHECK(y.type() == x.type());
    CHECK(y == x);
    CHECK(y.repr() == x.repr());
  }
}

TEST_CASE("value: NaN and dict order survive a round trip", "[value]") {
  CHECK(std::isnan(round_trip(not_a_number).as_double()));
  dict_value d{{"z", 1}, {"a", 2}, {"m", 3}};
  CHECK(keys_of(round_trip(d).as_dict()) == keys_of(d));
}

TEST_CASE("value: a deeply nested value survives a round trip", "[value]") {
  auto deep = nested_lists(512);
  CHECK(round_trip(deep) == deep);
  value mixed = dict_value{{"a", list_value{dict_value{{1, list_value{}}}}}};
  for (int i = 0; i < 100; ++i)
    mixed = dict_value{{"pad", i}, {i, list_value{i, mixed}}};
  CHECK(round_trip(mixed) == mixed);
}

TEST_CASE("value: saving rejects nesting deeper than 512", "[value]") {
  caf::error err;
  serialize(nested_lists(513), err);
  CHECK(err == caf::sec::invalid_argument);
}

TEST_CASE("value: loading rejects an unknown tag", "[value]") {
  value x;
  auto err = deserialize(std::vector<char>{0x42}, x);
  CHECK(err == caf::sec::invalid_argument);
}

TEST_CASE("value: loading rejects every truncation", "[value]") {
  value x = dict_value{{"key", list_value{1, 2.5, "text", bytes_value{1, 2}}},
                       {"b", true}};
  caf::error err;
  auto buf = serialize(x, err);
  REQUIRE(!err);
  for (std::size_t len = 0; len < buf.size(); ++len) {
    INFO("prefix of " << len << " bytes");
    std::vector<char> prefix(buf.begin(), buf.begin() + len);
    value y;
    CHECK(deserialize(prefix, y));
  }
}

TEST_CASE("value: loading rejects nesting 10000 deep without crashing",
          "[value]") {
  std::vector<char> buf;
  for (int i = 0; i < 10000; ++i) {
    buf.push_back(static_cast<char>(tag(kind::list)));
    buf.push_back(1); // one element
  }
  buf.push_back(static_cast<char>(tag(kind::none)));
  value x;
  CHECK(deserialize(buf, x) == caf::sec::invalid_argument);
}

TEST_CASE("value: loading accepts 512 levels but not 513", "[value]") {
  auto nested_bytes = [](int depth) {
    std::vector<char> buf;
    for (int i = 0; i < depth; ++i) {
      buf.push_back(static_cast<char>(tag(kind::dict)));
      buf.push_back(1);
      buf.push_back(static_cast<char>(tag(kind::none)));
    }
    buf.push_back(static_cast<char>(tag(kind::none)));
    return buf;
  };
  value x;
  CHECK(!deserialize(nested_bytes(512), x));
  CHECK(deserialize(nested_bytes(513), x) == caf::sec::invalid_argument);
}

TEST_CASE("value: loading a forged size fails instead of allocating",
          "[value]") {
  // Sizes are varbyte-encoded: 0xff 0xff 0xff 0xff 0x0f is 2^32 - 1.
  const std::vector<char> huge_size{'\xff', '\xff', '\xff', '\xff', '\x0f'};
  for (auto k : {kind::string, kind::bytes, kind::list, kind::dict}) {
    std::vector<char> buf{static_cast<char>(tag(k))};
    buf.insert(buf.end(), huge_size.begin(), huge_size.end());
    buf.insert(buf.end(), {0, 0, 0});
    value x;
    CHECK(deserialize(buf, x));
  }
}

// -- CAF integration ----------------------------------------------------------

TEST_CASE("value: works in caf::make_message and deep_to_string", "[value]") {
  value x = dict_value{{"k", list_value{1, "a"}}};
  CHECK(caf::deep_to_string(x) == "{'k': [1, 'a']}");
  auto msg = caf::make_message(x, value{2.0});
  REQUIRE(msg.match_elements<value, value>());
  CHECK(msg.get_as<value>(0) == x);
  auto text = caf::deep_to_string(msg);
  CHECK(text.find("{'k': [1, 'a']}") != std::string::npos);
  CHECK(text.find("2.0") != std::string::npos);
}

TEST_CASE("values have Python's truth value", "[value]") {
  using cafman::value;
  for (const value& x : {value{}, value{false}, value{0}, value{0.0}, value{-0.0}, value{""},
                         value{cafman::bytes_value{}}, value{cafman::list_value{}},
                         value{cafman::dict_value{}}}) {
    INFO(x.repr());
    CHECK_FALSE(x.truthy());
    CHECK_FALSE(static_cast<bool>(x));
  }
  for (const value& x :
       {value{true}, value{-1}, value{0.5}, value{std::nan("")}, value{" "},
        value{cafman::bytes_value{0}}, value{cafman::list_value{value{}}},
        value{cafman::dict_value{{0, 0}}}, value{cafman::object_reference{1, "dict"}}}) {
    INFO(x.repr());
    CHECK(x.truthy());
    CHECK(x);
  }
  CHECK_THROWS_AS(value{1}.as_bool(), cafman::type_error); // as_bool stays strict
}

TEST_CASE("the contents of a temporary value are returned by value, not as a dangling reference",
          "[value]") {
  using cafman::value;
  auto make = [] { return value{cafman::list_value{1, 2, 3}}; };
  CHECK(std::is_same_v<decltype(make().as_list()), cafman::list_value>);
  CHECK(std::is_same_v<decltype(std::declval<value>().as_dict()), cafman::dict_value>);
  CHECK(std::is_same_v<decltype(std::declval<value>().as_string()), std::string>);
  std::int64_t sum = 0;
  for (auto& x : make().as_list()) // dangled (ASan: heap-use-after-free) before
    sum += x.as_int();
  CHECK(sum == 6);
  value kept{cafman::list_value{4}};
  kept.as_list().push_back(5); // an lvalue still gives the contents themselves
  CHECK(kept.as_list().size() == 2);
}
