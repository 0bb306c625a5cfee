#include "throwaway_pki.hpp"

#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace bench {

namespace {

const std::string new_key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes ";

} // namespace

throwaway_pki::throwaway_pki() {
  char dir_template[] = "/tmp/cafman-bench-pki-XXXXXX";
  if (!::mkdtemp(dir_template))
    throw std::runtime_error("cannot make a directory for the benchmark's certificates");
  dir_ = dir_template;
  openssl("req -x509 " + new_key + "-days 1 -subj /CN=bench-ca -keyout " + path("ca.key")
          + " -out " + path("ca.pem"));
  std::ofstream{path("server.ext")} << "subjectAltName=IP:127.0.0.1\n";
  make_certificate("server", " -extfile " + path("server.ext"));
  make_certificate("client", "");
}

throwaway_pki::~throwaway_pki() {
  [[maybe_unused]] auto ignored = std::system(("rm -rf " + dir_).c_str());
}

cafman::tls_options throwaway_pki::options(const std::string& who) const {
  return {path(who + ".pem"), path(who + ".key"), path("ca.pem"), {}};
}

void throwaway_pki::openssl(const std::string& args) const {
  if (std::system(("openssl " + args + " >/dev/null 2>&1").c_str()) != 0)
    throw std::runtime_error("openssl " + args + " failed (is the openssl tool installed?)");
}

void throwaway_pki::make_certificate(const std::string& who, const std::string& extensions) const {
  openssl("req " + new_key + "-subj /CN=" + who + " -keyout " + path(who + ".key") + " -out "
          + path(who + ".csr"));
  openssl("x509 -req -days 1 -in " + path(who + ".csr") + " -CA " + path("ca.pem") + " -CAkey "
          + path("ca.key") + " -CAcreateserial -out " + path(who + ".pem") + extensions);
}

} // namespace bench
