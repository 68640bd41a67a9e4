#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace tenantry {

/// An IP network: an address and a prefix length, IPv4 or IPv6 (`10.0.0.0/8`, `fd00::/8`; a bare address
/// is a network of one, /32 or /128). Bits past the prefix are ignored, so `10.1.2.3/8` is `10.0.0.0/8`.
class IpNetwork {
 public:
  /// Parses CIDR notation or a bare address; nullopt when `text` is neither (also for a prefix out of range).
  static std::optional<IpNetwork> parse(std::string_view text);
  /// Whether `address` (a textual IPv4 or IPv6 address) lies in this network. An IPv4-mapped IPv6 address
  /// (`::ffff:10.0.0.1`, how a dual-stack listener sees IPv4 clients) counts as its IPv4 address.
  bool contains(std::string_view address) const;

 private:
  IpNetwork() = default;
  bool v4_ = false;
  std::array<unsigned char, 16> bytes_{};  // IPv4 in the first 4
  unsigned prefix_ = 0;
};

}  // namespace tenantry
