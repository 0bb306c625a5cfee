#include "cafman/actors/custom.hpp"
#include "cafman/actors/placement.hpp"
#include "cafman/actors/reference.hpp"

#include <limits>

#include <caf/actor_system.hpp>

#include "cafman/errors.hpp"

namespace cafman {

namespace {

struct custom_state {
  static inline const char* name = "cafman.custom";

  std::shared_ptr<const detail::class_info> info;
  std::shared_ptr<void> instance;
  detail::object_maker maker;

  std::string where(const std::string& method) const { return info->type_id + "." + method; }

  caf::error not_exposed(const std::string& method) const {
    std::string exposed;
    for (auto& entry : info->methods)
      exposed += (exposed.empty() ? "" : ", ") + entry.first;
    return caf::make_error(errc::not_exposed,
                           "'" + info->type_id + "' has no exposed method '" + method +
                               "' (exposed: " + (exposed.empty() ? "none" : exposed) + ")");
  }

  caf::result<value> call(const std::string& method, const value& args) {
    auto found = info->methods.find(method);
    if (found == info->methods.end())
      return not_exposed(method);
    try {
      return found->second(instance.get(), detail::argument_list(args, where(method)), maker);
    } catch (...) {
      return detail::custom_failure(where(method), std::current_exception());
    }
  }

  // A class that cannot tell (no references() registered, or it threw)
  // reports nothing: what it refers to then stays alive.
  value references(std::uint64_t round) const {
    reference_census census{round};
    if (info->references) {
      try {
        census.add(info->references(instance.get()));
      } catch (...) {
        return reference_census{round}.result();
      }
    }
    return census.result();
  }

  value methods() const {
    list_value names;
    for (auto& entry : info->methods)
      names.emplace_back(entry.first);
    return value{std::move(names)};
  }
};

using custom_ptr = detail::worker_self_t<custom_actor, custom_state>;

custom_actor::behavior_type make_custom(custom_ptr self, detail::object_maker maker,
                                        std::shared_ptr<const detail::class_info> info,
                                        std::shared_ptr<void> instance) {
  auto& st = self->state;
  st.info = std::move(info);
  st.instance = std::move(instance);
  st.maker = std::move(maker);
  detail::reject_unexpected(self);
  return {
      [&st](refs_atom, std::uint64_t round) { return st.references(round); },
      [&st](call_atom, const std::string& method, const value& args) {
        return st.call(method, args);
      },
      [&st](methods_atom) { return st.methods(); },
  };
}

} // namespace

const list_value& detail::argument_list(const value& args, const std::string& where) {
  return positional_args(args, std::numeric_limits<std::size_t>::max(), where.c_str());
}

caf::error detail::custom_failure(const std::string& where, std::exception_ptr failure) {
  try {
    std::rethrow_exception(std::move(failure));
  } catch (const std::exception& e) {
    // to_caf_error knows cafman's exceptions; whatever it does not know it
    // calls bad_argument, which only a value_error deserves.
    auto known = to_caf_error(e);
    if (known.code() != static_cast<std::uint8_t>(errc::bad_argument) ||
        dynamic_cast<const value_error*>(&e))
      return known;
    return caf::make_error(errc::method_failed, where + "() failed: " + e.what());
  } catch (...) {
    return caf::make_error(errc::method_failed,
                           where + "() failed: it threw something that is not a std::exception");
  }
}

caf::actor detail::spawn_custom(const object_maker& maker, std::shared_ptr<const class_info> info,
                                std::shared_ptr<void> instance) {
  return spawn_on_workers(*maker.sys, make_custom, maker, std::move(info), std::move(instance));
}

value detail::object_maker::make(std::shared_ptr<const class_info> info,
                                 std::shared_ptr<void> instance) const {
  auto type_id = info->type_id;
  auto object = spawn_custom(*this, std::move(info), std::move(instance));
  return manage(*home, object, std::move(type_id));
}

} // namespace cafman
