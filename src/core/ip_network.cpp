#include "tenantry/core/ip_network.hpp"

#include <boost/asio/ip/address.hpp>
#include <charconv>
#include <string>

namespace tenantry {

namespace {

namespace ip = boost::asio::ip;

struct Address {
  bool v4;
  std::array<unsigned char, 16> bytes{};
};

std::optional<Address> parse_address(std::string_view text) {
  boost::system::error_code ec;
  ip::address a = ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  if (a.is_v6() && a.to_v6().is_v4_mapped()) a = ip::make_address_v4(ip::v4_mapped, a.to_v6());
  Address out{a.is_v4()};
  if (out.v4) {
    const auto b = a.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), out.bytes.begin());
  } else {
    out.bytes = a.to_v6().to_bytes();
  }
  return out;
}

}  // namespace

std::optional<IpNetwork> IpNetwork::parse(std::string_view text) {
  const auto slash = text.find('/');
  const auto address = parse_address(text.substr(0, slash));
  if (!address) return std::nullopt;
  IpNetwork n;
  n.v4_ = address->v4;
  n.bytes_ = address->bytes;
  const unsigned max = n.v4_ ? 32 : 128;
  n.prefix_ = max;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n.prefix_);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || n.prefix_ > max)
      return std::nullopt;
  }
  return n;
}

bool IpNetwork::contains(std::string_view text) const {
  const auto address = parse_address(text);
  if (!address || address->v4 != v4_) return false;
  const unsigned whole = prefix_ / 8, rest = prefix_ % 8;
  for (unsigned i = 0; i < whole; ++i)
    if (address->bytes[i] != bytes_[i]) return false;
  if (rest == 0) return true;
  const auto mask = static_cast<unsigned char>(0xFF << (8 - rest));
  return (address->bytes[whole] & mask) == (bytes_[whole] & mask);
}

}  // namespace tenantry
