#include "cafman/net/object_ref.hpp"

namespace cafman::detail {

std::shared_ptr<object_ref> create_object(const std::shared_ptr<connection>& conn,
                                          const std::string& type, const value& args) {
  auto id = conn->call_registry(create_atom_v, caller{}, type, args);
  return std::make_shared<object_ref>(conn, id, type);
}

std::shared_ptr<object_ref> adopt_object(const std::shared_ptr<connection>& conn,
                                         const object_ref& from) {
  auto type = conn->call_registry(incref_atom_v, caller{}, from.id(),
                                               from.conn().session_token());
  return std::make_shared<object_ref>(conn, from.id(), std::move(type));
}

caf::actor object_ref::handle() const {
  std::lock_guard<std::mutex> guard{handle_mtx_};
  if (!handle_)
    handle_ = conn_->handle_of(id_);
  return handle_;
}

} // namespace cafman::detail
