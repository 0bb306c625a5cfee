#pragma once

// A CA and two certificates (the manager's, for 127.0.0.1, and a client's)
// made with the openssl command-line tool in a fresh directory, removed
// when the object goes: what `--transport tls` needs to measure TLS.

#include <string>

#include <cafman/cafman.hpp>

namespace bench {

class throwaway_pki {
public:
  /// Throws std::runtime_error when openssl fails.
  throwaway_pki();
  ~throwaway_pki();
  throwaway_pki(const throwaway_pki&) = delete;
  throwaway_pki& operator=(const throwaway_pki&) = delete;

  /// "server" or "client".
  cafman::tls_options options(const std::string& who) const;

private:
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  void openssl(const std::string& args) const;
  void make_certificate(const std::string& who, const std::string& extensions) const;

  std::string dir_;
};

} // namespace bench
