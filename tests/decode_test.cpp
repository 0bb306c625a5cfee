// The lean stream decodes only what the object interfaces accept: frames
// built byte by byte, as a faulty or hostile client would send them.

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <sys/socket.h>
#include <sys/time.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/message.hpp>

#include "cafman/cafman.hpp"
#include "cafman/net/frame_guard.hpp"
#include "cafman/net/handshake.hpp"
#include "cafman/net/lean_protocol.hpp"
#include "cafman/net/socket.hpp"
#include "cafman/net/system_config.hpp"
#include "tests/support.hpp"
#include "tests/watchdog.hpp"

using namespace std::chrono_literals;
using cafman::caller;
using cafman::errc;
using cafman::value;
namespace lean = cafman::net::lean;

namespace {

struct decode_fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys;

  decode_fixture() : sys((cafman::net::configure(cfg, 1), cfg)) {}

  // Decodes a request body the way the lean broker does.
  caf::error decode(const std::vector<char>& body, caf::message& out) {
    return lean::read_message(sys, body.data(), body.size(), lean::request_header_size, out);
  }

  caf::error decode(const std::vector<char>& body) {
    caf::message ignored;
    return decode(body, ignored);
  }

  // A request body as a client writes it for `msg`.
  std::vector<char> body_of(const caf::message& msg) {
    std::vector<char> frame;
    REQUIRE(!lean::append_frame(sys, frame, {7, 42}, msg));
    return {frame.begin() + lean::length_size, frame.end()};
  }
};

void put_size(std::vector<char>& out, std::uint64_t size) {
  do {
    auto low7 = static_cast<char>(size & 0x7F);
    size >>= 7;
    out.push_back(size != 0 ? static_cast<char>(low7 | 0x80) : low7);
  } while (size != 0);
}

// A request body whose message header names `types` ("@<>+@atom+..."),
// followed by `elements`, the elements' bytes as given.
std::vector<char> raw_body(std::string_view types, const std::vector<char>& elements) {
  std::vector<char> body(lean::request_header_size, '\0');
  body.push_back(0); // begin_object: type number 0, then the name
  body.push_back(0);
  put_size(body, types.size());
  body.insert(body.end(), types.begin(), types.end());
  body.insert(body.end(), elements.begin(), elements.end());
  return body;
}

std::vector<char> atom_bytes(caf::atom_value x) {
  std::vector<char> out;
  lean::put_u64(out, static_cast<std::uint64_t>(x));
  return out;
}

// A cafman::value of lists nested `depth` deep around None.
std::vector<char> nested_value(std::size_t depth) {
  std::vector<char> out;
  for (std::size_t i = 0; i < depth; ++i) {
    out.push_back(static_cast<char>(cafman::kind::list));
    out.push_back(1);
  }
  out.push_back(static_cast<char>(cafman::kind::none));
  return out;
}

std::vector<char> bytes(std::string_view text) {
  return {text.begin(), text.end()};
}

std::vector<char> operator+(std::vector<char> xs, const std::vector<char>& ys) {
  xs.insert(xs.end(), ys.begin(), ys.end());
  return xs;
}

std::string text_of(const caf::error& err) {
  auto& ctx = err.context();
  return ctx.match_elements<std::string>() ? ctx.get_as<std::string>(0) : caf::to_string(err);
}

bool is_cafman(const caf::error& err, errc code) {
  return err.category() == caf::atom("cafman") && err.code() == static_cast<std::uint8_t>(code);
}

// A caf::config_value (a list) nested `depth` deep, as CAF writes it: the
// variant's index (7: list), the list's size.
std::vector<char> nested_config_value(std::size_t depth) {
  std::vector<char> out;
  for (std::size_t i = 0; i < depth; ++i) {
    out.push_back(7);
    out.push_back(1);
  }
  out.push_back(7);
  out.push_back(0);
  return out;
}

} // namespace

TEST_CASE_METHOD(decode_fixture, "decode: a config_value nested 20,000 deep is refused, naming it",
                 "[decode]") {
  auto err = decode(raw_body("@<>+@config_value", nested_config_value(20'000)));
  REQUIRE(err);
  CHECK(is_cafman(err, errc::unsupported_message));
  CHECK_THAT(text_of(err), Catch::Contains("'@config_value'"));
}

TEST_CASE_METHOD(decode_fixture, "decode: a cafman::value nested 100,000 deep gives the depth error",
                 "[decode]") {
  auto err = decode(raw_body("@<>+@atom+cafman::value",
                             atom_bytes(cafman::put_atom_v) + nested_value(100'000)));
  REQUIRE(err);
  CHECK_THAT(text_of(err), Catch::Contains("nested deeper than 512 levels"));
}

TEST_CASE_METHOD(decode_fixture, "decode: values nest 512 deep, as value's own loader allows",
                 "[decode]") {
  auto header = atom_bytes(cafman::put_atom_v);
  caf::message msg;
  REQUIRE(!decode(raw_body("@<>+@atom+cafman::value", header + nested_value(512)), msg));
  CHECK(msg.match_elements<cafman::put_atom, value>());
  auto err = decode(raw_body("@<>+@atom+cafman::value", header + nested_value(513)));
  CHECK_THAT(text_of(err), Catch::Contains("nested deeper than 512 levels"));
}

TEST_CASE_METHOD(decode_fixture, "decode: an element type outside the interfaces is refused by name",
                 "[decode]") {
  // Types CAF would decode: an actor handle (accepted over BASP only), a
  // nested message, a byte buffer, the vector cafman's type block registers,
  // a builtin no interface takes.
  for (std::string_view type :
       {"@actor", "@message", "@charbuf", "std::vector<cafman::value>", "@i32", "@strmap"}) {
    auto err = decode(raw_body("@<>+@atom+" + std::string{type}, atom_bytes(cafman::get_atom_v)));
    REQUIRE(err);
    CHECK(is_cafman(err, errc::unsupported_message));
    CHECK_THAT(text_of(err), Catch::Contains("'" + std::string{type} + "'"));
  }
}

TEST_CASE_METHOD(decode_fixture, "decode: a size claim beyond the frame is refused before allocating",
                 "[decode]") {
  std::vector<char> huge;
  put_size(huge, 0xFFFFFFFF);
  // a string element, a string and a bytes inside a value, a list's size
  auto err = decode(raw_body("@<>+@atom+@str", atom_bytes(cafman::get_atom_v) + huge + bytes("abc")));
  CHECK(is_cafman(err, errc::bad_argument));
  CHECK_THAT(text_of(err), Catch::Contains("a string claims 4294967295 bytes, only 3 are left"));
  for (auto k : {cafman::kind::string, cafman::kind::bytes, cafman::kind::list}) {
    std::vector<char> item{static_cast<char>(k)};
    err = decode(raw_body("@<>+@atom+cafman::value",
                          atom_bytes(cafman::get_atom_v) + item + huge + bytes("abc")));
    CHECK(is_cafman(err, errc::bad_argument));
    CHECK_THAT(text_of(err), Catch::Contains("claims 4294967295"));
  }
  // a header that claims more than the frame holds
  std::vector<char> body(lean::request_header_size + 2, '\0');
  body.insert(body.end(), huge.begin(), huge.end());
  CHECK_THAT(text_of(decode(body)), Catch::Contains("the message header claims 4294967295"));
}

TEST_CASE_METHOD(decode_fixture, "decode: malformed and truncated messages are refused", "[decode]") {
  auto put = atom_bytes(cafman::put_atom_v);
  // truncated element, trailing bytes, a size of more than 5 bytes
  CHECK(is_cafman(decode(raw_body("@<>+@atom+@u64", put + bytes("abc"))), errc::bad_argument));
  CHECK_THAT(text_of(decode(raw_body("@<>+@atom", put + bytes("x")))),
             Catch::Contains("trailing bytes"));
  CHECK_THAT(text_of(decode(raw_body("@<>+@atom+@str", put + bytes("\xFF\xFF\xFF\xFF\xFF\x01")))),
             Catch::Contains("beyond 32 bits"));
  // not a message, an empty type name, an unknown value tag
  CHECK_THAT(text_of(decode(raw_body("@<>-@atom", put))), Catch::Contains("not a caf::message"));
  CHECK_THAT(text_of(decode(raw_body("@<>+@atom+", put))), Catch::Contains("element type ''"));
  CHECK_THAT(text_of(decode(raw_body("@<>+cafman::value", bytes("\x63")))),
             Catch::Contains("unknown cafman::value tag 99"));
}

TEST_CASE_METHOD(decode_fixture, "decode: real calls of the interfaces still decode", "[decode]") {
  std::vector<caf::message> calls{
      caf::make_message(cafman::put_atom_v, value{"key"}, value{cafman::list_value{1, 2.5, "x"}}),
      caf::make_message(cafman::get_atom_v, caller{3, 4}, caf::timespan{5s}),
      caf::make_message(cafman::create_atom_v, std::uint64_t{1}, std::string{"dict"},
                        value{cafman::list_value{}}),
      caf::make_message(cafman::get_atom_v, std::int64_t{-1}),
      caf::make_message(cafman::contains_atom_v, value{true}),
      caf::make_message(cafman::call_atom_v, std::string{"increment"}, value{cafman::list_value{}}),
      caf::message{},
  };
  for (const auto& call : calls) {
    caf::message out;
    auto err = decode(body_of(call), out);
    CHECK(!err);
    CHECK(caf::to_string(out) == caf::to_string(call));
  }
}

TEST_CASE_METHOD(decode_fixture, "encode: a frame holds the message as message::save writes it",
                 "[decode]") {
  std::vector<caf::message> messages{
      caf::message{},
      caf::make_message(value{cafman::list_value{1, "x"}}),
      caf::make_message(true),
      caf::make_message(std::int64_t{-3}),
      caf::make_message(caf::make_error(errc::key_not_found, "'k'")),
      caf::make_message(cafman::put_atom_v, value{"k"}, value{2.5}),
      caf::make_message(cafman::get_atom_v, caller{3, 4}, caf::timespan{5s}),
      // Past the arity whose headers are cached: CAF writes it all.
      caf::make_message(value{1}, value{2}, value{3}, value{4}, value{5}),
  };
  for (int round = 0; round < 2; ++round) { // a header made, then one reused
    for (const auto& msg : messages) {
      std::vector<char> by_caf;
      caf::binary_serializer sink{sys, by_caf};
      REQUIRE(!sink(const_cast<caf::message&>(msg)));
      auto body = body_of(msg);
      INFO(caf::to_string(msg));
      CHECK(std::vector<char>(body.begin() + lean::request_header_size, body.end()) == by_caf);
    }
  }
}

TEST_CASE_METHOD(decode_fixture,
                 "decode: an interface signature is loaded by its own loader, others by CAF",
                 "[decode]") {
  auto shape_of = [&](const caf::message& msg) {
    auto body = body_of(msg);
    lean::request_shape shape;
    REQUIRE(!lean::check_request(body.data() + lean::request_header_size,
                                 body.size() - lean::request_header_size, &shape));
    return shape;
  };
  auto signature = caf::make_message(cafman::put_atom_v, value{"k"}, value{1});
  auto shape = shape_of(signature);
  CHECK(shape.load != nullptr);
  CHECK(shape.header_size == 2 + 1 + std::string{"@<>+@atom+cafman::value+cafman::value"}.size());
  CHECK(shape_of(caf::make_message(cafman::wait_atom_v, caller{1, 2}, caf::timespan{3s})).load
        != nullptr);
  // Types the interfaces accept, in an order none declares: CAF decodes it
  // (and the object answers that it does not understand it).
  auto other = caf::make_message(value{1}, cafman::put_atom_v);
  CHECK(shape_of(other).load == nullptr);
  caf::message out;
  CHECK(!decode(body_of(other), out));
  CHECK(caf::to_string(out) == caf::to_string(other));
}

TEST_CASE_METHOD(decode_fixture, "decode: the server refuses a hostile frame and keeps serving",
                 "[decode][programs]") {
  cafman::testing::watchdog dog{30s};
  const std::string secret = "decode-test-secret";
  cafman::testing::server_process srv{secret};
  auto key = cafman::authkey::from_string(secret);
  auto m = cafman::connect(srv.address(), key);
  auto d = m.dict({{"k", 1}});
  auto where = cafman::net::parse_address(srv.address());
  cafman::net::unique_fd fd{cafman::net::connect_tcp(where.host, where.port, 2s)};
  REQUIRE(cafman::net::client_handshake(fd.get(), key, 2s));
  std::vector<char> out{static_cast<char>(lean::stream_kind::lean)};
  lean::put_u64(out, 1); // a session number
  auto body = raw_body("@<>+@config_value", nested_config_value(20'000));
  body[7] = 1;  // request id 1: a reply is expected
  body[15] = 1; // target 1 (target 0 would be a sync)
  lean::put_u32(out, static_cast<std::uint32_t>(body.size()));
  out.insert(out.end(), body.begin(), body.end());
  REQUIRE(::send(fd.get(), out.data(), out.size(), MSG_NOSIGNAL)
          == static_cast<ssize_t>(out.size()));
  // The broker may answer with the refusal or close the stream; either way
  // the server lives on. A server that does neither fails the checks below.
  timeval limit{10, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
  std::vector<char> reply;
  char chunk[4096];
  ssize_t n = 0;
  while ((reply.size() < lean::length_size
          || reply.size() < lean::length_size + lean::get_u32(reply.data()))
         && (n = ::recv(fd.get(), chunk, sizeof(chunk), 0)) > 0)
    reply.insert(reply.end(), chunk, chunk + n);
  if (reply.size() > lean::length_size) {
    caf::message refusal;
    REQUIRE(!lean::read_reply(sys, reply.data() + lean::length_size,
                              reply.size() - lean::length_size, refusal));
    REQUIRE(refusal.match_elements<caf::error>());
    CHECK_THAT(text_of(refusal.get_as<caf::error>(0)), Catch::Contains("'@config_value'"));
  }
  CHECK(d.get("k") == value{1});
  {
    auto other = cafman::connect(srv.address(), key);
    CHECK(other.dict({{"a", 2}}).get("a") == value{2});
  }
  { auto gone = std::move(d); }
  CHECK(cafman::testing::eventually([&] { return m.number_of_objects() == 0; }));
  auto status = srv.stop(SIGTERM);
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
}
