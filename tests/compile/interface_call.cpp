// Compiled by tests/compile/check.cmake, not built: with REQUEST_OUTSIDE
// defined it must not compile, since a dict's interface has no append;
// without it, the same file must (so the failure is that request's).

#include "cafman/proxies/dict.hpp"
#include "cafman/proxies/proxy_access.hpp"

cafman::value first(const cafman::dict_proxy& d) {
#ifdef REQUEST_OUTSIDE
  cafman::detail::proxy_access::call(d, cafman::append_atom_v, cafman::value{1});
#endif
  return cafman::detail::proxy_access::call(d, cafman::get_atom_v, cafman::value{"k"});
}
