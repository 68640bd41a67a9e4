#include "http/wire.hpp"

#include <algorithm>
#include <boost/beast/http/status.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <functional>
#include <random>
#include <thread>

#include "http/text.hpp"

namespace tenantry::http::wire {

namespace {

bool is_alnum(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

std::uint64_t splitmix64(std::uint64_t x) noexcept {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

void append_decimal(std::string& out, std::size_t v) {
  char buf[24];
  char* p = buf + sizeof buf;
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  out.append(p, buf + sizeof buf);
}

}  // namespace

bool valid_request_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 128) return false;
  for (const char c : id) {
    if (!is_alnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

void generate_request_id(std::string& out) {
  struct State {
    std::uint64_t seed;
    std::uint64_t counter = 0;
  };
  thread_local State state{(static_cast<std::uint64_t>(std::random_device{}()) << 32) ^
                           std::random_device{}() ^ std::hash<std::thread::id>{}(std::this_thread::get_id())};
  std::uint64_t v = splitmix64(state.seed + ++state.counter * 0x9E3779B97F4A7C15ull);
  static constexpr char kHex[] = "0123456789abcdef";
  out.resize(16);
  for (int i = 15; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kHex[v & 0xF];
    v >>= 4;
  }
}

bool valid_host(std::string_view host) noexcept {
  for (const char c : host) {
    if (!is_alnum(c) && c != '-' && c != '.' && c != ':' && c != '[' && c != ']') return false;
  }
  return true;
}

bool valid_token(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (const char c : s) {
    if (!is_alnum(c) && std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) return false;
  }
  return true;
}

bool valid_field_value(std::string_view s) noexcept {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

bool well_formed_request_line(std::string_view head) noexcept {
  const std::size_t end = head.find("\r\n");
  if (end == std::string_view::npos) return false;
  const std::string_view line = head.substr(0, end);
  const std::size_t first = line.find(' '), last = line.rfind(' ');
  if (first == 0 || first == std::string_view::npos || last == first + 1 || line.find(' ', first + 1) != last)
    return false;
  const std::string_view version = line.substr(last + 1);
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  return version.size() == 8 && version.starts_with("HTTP/") && digit(version[5]) && version[6] == '.' &&
         digit(version[7]);
}

bool has_obs_fold(std::string_view head) noexcept {
  const std::size_t end = std::min(head.find("\r\n\r\n"), head.size());
  for (std::size_t crlf = head.find("\r\n"); crlf < end; crlf = head.find("\r\n", crlf + 2)) {
    if (crlf + 2 < head.size() && (head[crlf + 2] == ' ' || head[crlf + 2] == '\t')) return true;
  }
  return false;
}

TransferCoding transfer_coding(std::string_view value) noexcept {
  std::size_t elements = 0, chunked = 0;
  bool chunked_last = false;
  for (;;) {
    const std::size_t comma = value.find(',');
    std::string_view element = value.substr(0, comma);
    while (!element.empty() && (element.front() == ' ' || element.front() == '\t')) element.remove_prefix(1);
    while (!element.empty() && (element.back() == ' ' || element.back() == '\t')) element.remove_suffix(1);
    // Not even the empty elements a list may have (RFC 9110 §5.6.1): ", chunked" is not worth the doubt.
    // Parameters (";") are no token either: chunked has none, and we implement no other coding.
    if (!valid_token(element)) return TransferCoding::invalid;
    ++elements;
    chunked_last = detail::iequals(element, "chunked");
    if (chunked_last) ++chunked;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  if (!chunked_last || chunked != 1) return TransferCoding::invalid;
  return elements == 1 ? TransferCoding::chunked : TransferCoding::unsupported;
}

bool status_has_body(int status) noexcept {
  return status >= 200 && status != 204 && status != 304;
}

std::string_view http_date() {
  struct Cache {
    std::time_t second = -1;
    char text[32] = {};
    std::size_t size = 0;
  };
  thread_local Cache cache;
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  if (now != cache.second) {
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::tm tm{};
    gmtime_r(&now, &tm);
    // Formatted by hand: strftime's %a and %b follow the locale.
    const int n =
        std::snprintf(cache.text, sizeof cache.text, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                      tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cache.size = n > 0 ? static_cast<std::size_t>(n) : 0;
    cache.second = now;
  }
  return {cache.text, cache.size};
}

std::string_view check_response(const Response& response) noexcept {
  if (response.status < 200 || response.status > 599) return "status out of range 200-599";
  if (!valid_field_value(response.content_type)) return "invalid content type";
  for (const auto& [name, value] : response.headers) {
    if (!valid_token(name)) return "invalid header name";
    if (!valid_field_value(value)) return "invalid header value";
  }
  return {};
}

void append_head(std::string& out, const Response& response, std::string_view request_id,
                 ConnectionHeader connection) {
  namespace bhttp = boost::beast::http;
  out += "HTTP/1.1 ";
  append_decimal(out, static_cast<std::size_t>(response.status));
  out += ' ';
  const auto status = bhttp::int_to_status(static_cast<unsigned>(response.status));
  out += status == bhttp::status::unknown ? std::string_view("Unknown")
                                          : std::string_view(bhttp::obsolete_reason(status));
  out += "\r\nServer: tenantry\r\nDate: ";
  out += http_date();
  if (!response.content_type.empty()) {
    out += "\r\nContent-Type: ";
    out += response.content_type;
  }
  if (status_has_body(response.status)) {
    out += "\r\nContent-Length: ";
    append_decimal(out, response.body.size());
  }
  if (!request_id.empty()) {
    out += "\r\nX-Request-Id: ";
    out += request_id;
  }
  if (connection == ConnectionHeader::close) {
    out += "\r\nConnection: close";
  } else if (connection == ConnectionHeader::keep_alive) {
    out += "\r\nConnection: keep-alive";
  }
  for (const auto& [name, value] : response.headers) {
    if (detail::iequals(name, "content-length") || detail::iequals(name, "transfer-encoding") ||
        detail::iequals(name, "connection") ||
        (!response.content_type.empty() && detail::iequals(name, "content-type"))) {
      continue;
    }
    out += "\r\n";
    out += name;
    out += ": ";
    out += value;
  }
  out += "\r\n\r\n";
}

}  // namespace tenantry::http::wire
