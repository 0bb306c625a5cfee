#include "cafman/actors/type_registry.hpp"
#include "cafman/actors/iterator.hpp"

#include "cafman/errors.hpp"

namespace cafman {

namespace detail {

void check_arity(const std::string& where, std::size_t expected, std::size_t given) {
  if (expected != given)
    throw type_error(where + "() takes " + std::to_string(expected) +
                     (expected == 1 ? " argument, " : " arguments, ") + std::to_string(given) +
                     " given");
}

void expose(class_info& info, const std::string& name, method_invoker invoker) {
  if (!info.methods.emplace(name, std::move(invoker)).second)
    throw value_error("'" + info.type_id + "' exposes a method '" + name + "' already");
}

std::shared_ptr<const class_info>
target_class(const std::map<std::string, std::shared_ptr<registered_type>>& types,
             const std::string& type_id, const std::type_info& cls, const std::string& where) {
  auto found = types.find(type_id);
  if (found == types.end() || !found->second->info)
    throw value_error(where + " returns objects of type id '" + type_id +
                      "', which is not a registered plain class: register it first");
  if (*found->second->info->cls != cls)
    throw value_error(where + " returns a " + cls.name() + ", but type id '" + type_id +
                      "' is registered for another class");
  return found->second->info;
}

caf::expected<caf::actor> spawned(const std::string& type_id, caf::actor handle) {
  if (!handle)
    return caf::make_error(errc::method_failed,
                           "the spawn function of '" + type_id + "' returned no actor");
  return handle;
}

} // namespace detail

namespace {

// A type id registered with create_method(false) stays in the table, so
// the error names the reason rather than "no such type".
object_factory refuse_create(const std::string& type_id) {
  return [type_id](object_context&, const value&) -> caf::expected<caf::actor> {
    return caf::make_error(errc::no_such_type,
                           "type id '" + type_id +
                               "' cannot be created with manager.create: it was registered with "
                               "create_method(false), so its objects come only from methods "
                               "that return them");
  };
}

} // namespace

type_table type_registry::table() const {
  auto result = builtin_types();
  for (auto& [type_id, entry] : types_)
    result.emplace(type_id, entry->create_method ? entry->factory : refuse_create(type_id));
  return result;
}

bool type_registry::contains(const std::string& type_id) const {
  return types_.count(type_id) > 0 || builtin_types().count(type_id) > 0;
}

std::vector<std::string> type_registry::type_ids() const {
  std::vector<std::string> result;
  for (auto& entry : types_)
    result.push_back(entry.first);
  return result;
}

std::vector<std::string> type_registry::methods(const std::string& type_id) const {
  auto found = types_.find(type_id);
  if (found == types_.end())
    throw key_error("no type id '" + type_id + "' is registered here");
  std::vector<std::string> result;
  if (auto& info = found->second->info)
    for (auto& entry : info->methods)
      result.push_back(entry.first);
  return result;
}

std::shared_ptr<detail::registered_type>
type_registry::insert(const std::string& type_id, std::shared_ptr<detail::class_info> info) {
  if (type_id.empty())
    throw value_error("a type id must not be empty");
  if (builtin_types().count(type_id) > 0 || type_id == iterator_type_id)
    throw value_error("type id '" + type_id +
                      "' is a builtin type's; register the custom type under another name");
  auto entry = std::make_shared<detail::registered_type>();
  entry->type_id = type_id;
  entry->info = std::move(info);
  if (!types_.emplace(type_id, entry).second)
    throw value_error("type id '" + type_id + "' is registered already");
  return entry;
}

} // namespace cafman
