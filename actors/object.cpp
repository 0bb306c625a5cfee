#include "cafman/actors/object.hpp"

#include <limits>
#include <string>

#include <caf/message.hpp>
#include <caf/message_view.hpp>
#include <caf/scheduled_actor.hpp>

#include "cafman/errors.hpp"

namespace cafman::detail {

caf::error to_caf_error(const std::exception& e) {
  auto code = errc::bad_argument;
  if (dynamic_cast<const key_error*>(&e))
    code = errc::key_not_found;
  else if (dynamic_cast<const index_error*>(&e))
    code = errc::index_out_of_range;
  else if (dynamic_cast<const type_error*>(&e))
    code = errc::type_mismatch;
  else if (dynamic_cast<const attribute_error*>(&e))
    code = errc::no_such_attribute;
  else if (dynamic_cast<const queue_empty*>(&e))
    code = errc::queue_empty;
  else if (dynamic_cast<const queue_full*>(&e))
    code = errc::queue_full;
  else if (dynamic_cast<const broken_barrier*>(&e))
    code = errc::broken_barrier;
  else if (dynamic_cast<const lock_error*>(&e))
    code = errc::not_owner;
  else if (dynamic_cast<const limit_error*>(&e))
    code = errc::limit_exceeded;
  else if (dynamic_cast<const iteration_error*>(&e))
    code = errc::changed_during_iteration;
  else if (dynamic_cast<const stop_iteration*>(&e))
    code = errc::stop_iteration;
  return caf::make_error(code, std::string{e.what()});
}

void reject_unexpected(caf::scheduled_actor* self) {
  self->set_default_handler(
    [](caf::scheduled_actor* who, caf::message_view& msg) -> caf::result<caf::message> {
      return caf::make_error(errc::unsupported_message,
                             std::string{who->name()} + " does not understand "
                               + caf::to_string(msg.copy_content_to_message()));
    });
}

const list_value& positional_args(const value& args, std::size_t max,
                                  const char* what) {
  static const list_value no_args;
  if (args.is_none())
    return no_args;
  if (!args.is_list())
    throw type_error(std::string{what} + "() arguments must be a list, got "
                     + args.type_name());
  if (args.as_list().size() > max)
    throw type_error(std::string{what} + "() takes at most " + std::to_string(max)
                     + " argument(s), got " + std::to_string(args.as_list().size()));
  return args.as_list();
}

on_holder_exit holder_exit_arg(const list_value& positional, std::size_t at, const char* what) {
  if (positional.size() <= at)
    return on_holder_exit::release;
  const auto& choice = positional[at];
  for (auto known : {on_holder_exit::release, on_holder_exit::keep})
    if (choice == value{to_arg(known)})
      return known;
  throw value_error(std::string{what} + "(): what to do when a holder exits is \"release\" or "
                    "\"keep\", got " + choice.repr());
}

value numeric_add(const value& a, const value& b) {
  auto is_number = [](const value& x) { return x.is_bool() || x.is_int() || x.is_double(); };
  if (!is_number(a) || !is_number(b))
    throw type_error(std::string{"unsupported operand types for +: '"} + a.type_name()
                     + "' and '" + b.type_name() + "'");
  if (a.is_double() || b.is_double())
    return value{a.as_double() + b.as_double()};
  auto lhs = a.is_bool() ? std::int64_t{a.as_bool()} : a.as_int();
  auto rhs = b.is_bool() ? std::int64_t{b.as_bool()} : b.as_int();
  std::int64_t sum = 0;
  if (__builtin_add_overflow(lhs, rhs, &sum))
    throw value_error("integer overflow: " + a.repr() + " + " + b.repr()
                      + " does not fit in 64 bits");
  return value{sum};
}

} // namespace cafman::detail
