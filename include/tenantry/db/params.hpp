#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "tenantry/core/strong_id.hpp"

namespace tenantry::db {

/// Converts a C++ value to a query parameter in PostgreSQL's text format; std::nullopt is SQL NULL.
/// Extend for your own types by specialising ParamTraits or by giving them a `to_db_param()` member.
template <typename T, typename = void>
struct ParamTraits;

using Timestamp = std::chrono::time_point<std::chrono::system_clock, std::chrono::microseconds>;

std::string format_timestamp(Timestamp t);
/// The instant as the API shows it, RFC 3339 in UTC with milliseconds: "2026-12-01T20:25:12.360Z".
std::string format_rfc3339(Timestamp t);

template <std::integral T>
requires(!std::same_as<T, bool>) std::optional<std::string> encode_integer(T v) {
  return std::to_string(v);
}

template <typename T>
struct ParamTraits<T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>>> {
  static std::optional<std::string> encode(T v) { return encode_integer(v); }
};
template <>
struct ParamTraits<bool> {
  static std::optional<std::string> encode(bool v) { return std::string(v ? "t" : "f"); }
};
template <>
struct ParamTraits<double> {
  static std::optional<std::string> encode(double v);
};
template <>
struct ParamTraits<std::string> {
  static std::optional<std::string> encode(const std::string& v) { return v; }
};
template <>
struct ParamTraits<std::string_view> {
  static std::optional<std::string> encode(std::string_view v) { return std::string(v); }
};
template <>
struct ParamTraits<const char*> {
  static std::optional<std::string> encode(const char* v) {
    return v ? std::optional<std::string>(v) : std::nullopt;
  }
};
template <std::size_t N>
struct ParamTraits<char[N]> {
  static std::optional<std::string> encode(const char (&v)[N]) { return std::string(v); }
};
template <>
struct ParamTraits<std::nullopt_t> {
  static std::optional<std::string> encode(std::nullopt_t) { return std::nullopt; }
};
template <typename T>
struct ParamTraits<std::optional<T>> {
  static std::optional<std::string> encode(const std::optional<T>& v) {
    return v ? ParamTraits<T>::encode(*v) : std::nullopt;
  }
};
template <>
struct ParamTraits<Timestamp> {
  static std::optional<std::string> encode(Timestamp v) { return format_timestamp(v); }
};
template <typename T>
struct ParamTraits<T, std::void_t<decltype(std::declval<const T&>().to_db_param())>> {
  static std::optional<std::string> encode(const T& v) {
    return ParamTraits<std::string_view>::encode(v.to_db_param());
  }
};

template <typename Tag>
struct ParamTraits<StrongId<Tag>> {
  static std::optional<std::string> encode(StrongId<Tag> id) { return std::to_string(id.value); }
};

/// Throws InvalidParameter: libpq sends text parameters as C strings, so a NUL would silently cut the value
/// (a check passed on the whole text, and the database stored less).
[[noreturn]] void throw_nul_in_parameter(std::size_t index);

/// The encoded parameters of one statement, owning their text.
class ParamList {
 public:
  ParamList() = default;
  template <typename... Args>
  explicit ParamList(const Args&... args) {
    values_.reserve(sizeof...(Args));
    (push(ParamTraits<std::remove_cvref_t<Args>>::encode(args)), ...);
  }
  template <typename T>
  void add(const T& v) {
    push(ParamTraits<std::remove_cvref_t<T>>::encode(v));
  }
  std::size_t size() const noexcept { return values_.size(); }
  const std::vector<std::optional<std::string>>& values() const noexcept { return values_; }

 private:
  void push(std::optional<std::string> value) {
    if (value && value->find('\0') != std::string::npos) throw_nul_in_parameter(values_.size() + 1);
    values_.push_back(std::move(value));
  }
  std::vector<std::optional<std::string>> values_;
};

}  // namespace tenantry::db
