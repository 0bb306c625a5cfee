#include "cafman/convert.hpp"

#include "cafman/errors.hpp"

namespace cafman {

none_t convert<none_t>::from_value(const value& v) {
  if (!v.is_none())
    throw type_error(std::string{"expected None, got "} + v.type_name());
  return none;
}

void detail::throw_conversion_error(const std::string& context, const std::exception& e) {
  auto text = context + ": " + e.what();
  if (dynamic_cast<const value_error*>(&e))
    throw value_error(text);
  throw type_error(text);
}

} // namespace cafman
