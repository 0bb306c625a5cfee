// Compiled by tests/compile/check.cmake, not built: a call by member
// pointer is checked against cafman::exposed<T>. Each macro adds one call
// that must not compile; without any, the file must compile.

#include <cstdint>
#include <string>
#include <tuple>

#include "cafman/proxies/custom.hpp"

struct tally {
  std::int64_t n = 0;
  void add(std::int64_t k) { n += k; }
  std::int64_t total() const { return n; }
  double ratio(double) const { return 0; } // not exposed, of a type nothing exposed has
};

template <>
struct cafman::exposed<tally> {
  static constexpr auto methods =
    std::make_tuple(cafman::expose("add", &tally::add), cafman::expose("total", &tally::total));
};

std::int64_t use(const cafman::custom_proxy& c) {
  c.call(&tally::add, 5);
#ifdef CALL_UNLISTED
  c.call(&tally::ratio, 0.5);
#endif
#ifdef CALL_WRONG_ARITY
  c.call(&tally::add);
#endif
#ifdef CALL_WRONG_ARGUMENT
  c.call(&tally::add, std::string{"five"});
#endif
  return c.call(&tally::total);
}
