#pragma once

#include <charconv>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "tenantry/db/errors.hpp"
#include "tenantry/db/params.hpp"

struct pg_result;  // libpq's PGresult, kept out of this header

namespace tenantry::db {

/// Converts one field, in PostgreSQL's text format, to a C++ value. Specialise for your own types.
template <typename T, typename = void>
struct FieldTraits;

Timestamp parse_timestamp(std::string_view text);

template <typename T>
struct FieldTraits<T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>>> {
  static T decode(std::string_view text) {
    T v{};
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || p != text.data() + text.size())
      throw DecodeError("not an integer in range: '" + std::string(text) + "'");
    return v;
  }
};
template <>
struct FieldTraits<bool> {
  static bool decode(std::string_view text) { return text == "t"; }
};
template <>
struct FieldTraits<double> {
  static double decode(std::string_view text);
};
template <>
struct FieldTraits<std::string> {
  static std::string decode(std::string_view text) { return std::string(text); }
};
template <>
struct FieldTraits<std::string_view> {
  static std::string_view decode(std::string_view text) { return text; }
};
template <>
struct FieldTraits<Timestamp> {
  static Timestamp decode(std::string_view text) { return parse_timestamp(text); }
};

/// A timestamptz field as the API shows it (format_rfc3339), read as
/// `row.get<db::Rfc3339>(i).text`. Sessions run with TimeZone=UTC and DateStyle=ISO, so the field's text is
/// "YYYY-MM-DD HH:MM:SS[.f]+00" and is rewritten in place: no parse into a time point and format back.
struct Rfc3339 {
  std::string text;
};
/// The RFC 3339 form of a timestamp in PostgreSQL's ISO text form (any offset).
std::string rfc3339_from_text(std::string_view text);
template <>
struct FieldTraits<Rfc3339> {
  static Rfc3339 decode(std::string_view text) { return {rfc3339_from_text(text)}; }
};

template <typename Tag>
struct FieldTraits<StrongId<Tag>> {
  static StrongId<Tag> decode(std::string_view text) { return {FieldTraits<std::int64_t>::decode(text)}; }
};

/// One row of a Result; valid while the Result lives.
class Row {
 public:
  Row(const pg_result* res, int row) : res_(res), row_(row) {}

  bool is_null(int column) const;
  /// The field's text; a view into the result.
  std::string_view text(int column) const;
  int column_index(std::string_view name) const;

  /// The field converted to T; a NULL throws DecodeError unless T is std::optional.
  template <typename T>
  T get(int column) const {
    if constexpr (is_optional<T>::value) {
      if (is_null(column)) return std::nullopt;
      return FieldTraits<typename T::value_type>::decode(text(column));
    } else {
      if (is_null(column)) throw DecodeError("unexpected NULL in column " + std::to_string(column));
      return FieldTraits<T>::decode(text(column));
    }
  }
  template <typename T>
  T get(std::string_view column) const {
    return get<T>(column_index(column));
  }

 private:
  template <typename T>
  struct is_optional : std::false_type {};
  template <typename U>
  struct is_optional<std::optional<U>> : std::true_type {};

  const pg_result* res_;
  int row_;
};

/// The rows and status of one executed statement. Cheap to move; owns the underlying libpq result.
class Result {
 public:
  Result() = default;
  explicit Result(pg_result* res);

  int size() const noexcept;
  bool empty() const noexcept { return size() == 0; }
  int columns() const noexcept;
  std::string_view column_name(int column) const;
  /// Rows inserted, updated or deleted by the statement.
  std::int64_t affected_rows() const;
  /// The command tag, e.g. "UPDATE 3".
  std::string_view command_tag() const;
  Row operator[](int row) const { return Row(res_.get(), row); }
  /// The first row; throws when the result is empty.
  Row one() const;

  class Iterator {
   public:
    Iterator(const pg_result* res, int row) : res_(res), row_(row) {}
    Row operator*() const { return Row(res_, row_); }
    Iterator& operator++() {
      ++row_;
      return *this;
    }
    bool operator==(const Iterator& o) const { return row_ == o.row_; }

   private:
    const pg_result* res_;
    int row_;
  };
  Iterator begin() const { return Iterator(res_.get(), 0); }
  Iterator end() const { return Iterator(res_.get(), size()); }

 private:
  struct Clear {
    void operator()(pg_result* r) const noexcept;
  };
  std::unique_ptr<pg_result, Clear> res_;
};

}  // namespace tenantry::db
