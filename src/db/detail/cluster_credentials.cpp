#include "db/detail/cluster_credentials.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <fstream>

#include "tenantry/db/errors.hpp"

namespace tenantry::db::detail {

namespace fs = std::filesystem;

std::string random_password() {
  std::ifstream random("/dev/urandom", std::ios::binary);
  unsigned char bytes[24];
  if (!random.read(reinterpret_cast<char*>(bytes), sizeof bytes)) throw Error("cannot read /dev/urandom");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) out += {kHex[b >> 4], kHex[b & 15]};
  return out;
}

// The passwords are hex: nothing in a line needs escaping.
std::map<std::string, std::string> read_passfile(const fs::path& file) {
  std::map<std::string, std::string> out;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with("*:*:*:")) continue;
    const auto colon = line.find(':', 6);
    if (colon != std::string::npos) out[line.substr(6, colon - 6)] = line.substr(colon + 1);
  }
  return out;
}

void write_private_file(const fs::path& file, const std::string& text) {
  // 0600 from its creation (and fchmod for a file that existed): libpq ignores a password file others may
  // read, and nobody else should see one moment of it.
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || ::fchmod(fd, 0600) != 0) {
    if (fd >= 0) ::close(fd);
    throw Error("cannot write " + file.string());
  }
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!written) throw Error("cannot write " + file.string());
}

void write_passfile(const fs::path& file, const std::map<std::string, std::string>& passwords) {
  std::string text = "# Passwords of the embedded cluster's roles (libpq password file). Keep it private.\n";
  for (const auto& [role, password] : passwords) text += "*:*:*:" + role + ":" + password + "\n";
  const fs::path next = file.string() + ".new";
  write_private_file(next, text);
  fs::rename(next, file);
}

/// `text` percent-encoded for a part of a URL: everything but RFC 3986's unreserved characters.
std::string url_encoded(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace tenantry::db::detail
