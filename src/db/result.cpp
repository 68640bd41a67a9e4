#include "tenantry/db/result.hpp"

#include <libpq-fe.h>

#include <fmt/format.h>
#include <cstdlib>

namespace tenantry::db {

void Result::Clear::operator()(pg_result* r) const noexcept {
  PQclear(r);
}

Result::Result(pg_result* res) : res_(res) {}

int Result::size() const noexcept {
  return res_ ? PQntuples(res_.get()) : 0;
}
int Result::columns() const noexcept {
  return res_ ? PQnfields(res_.get()) : 0;
}
std::string_view Result::column_name(int column) const {
  return PQfname(res_.get(), column);
}

std::int64_t Result::affected_rows() const {
  if (!res_) return 0;
  const char* n = PQcmdTuples(res_.get());
  return (n && *n) ? std::strtoll(n, nullptr, 10) : 0;
}

std::string_view Result::command_tag() const {
  return res_ ? PQcmdStatus(res_.get()) : "";
}

Row Result::one() const {
  if (size() == 0) throw Error("query returned no rows");
  return (*this)[0];
}

bool Row::is_null(int column) const {
  return PQgetisnull(res_, row_, column) == 1;
}

std::string_view Row::text(int column) const {
  return {PQgetvalue(res_, row_, column), static_cast<std::size_t>(PQgetlength(res_, row_, column))};
}

int Row::column_index(std::string_view name) const {
  for (int i = 0, n = PQnfields(res_); i < n; ++i)
    if (name == PQfname(res_, i)) return i;
  throw DecodeError("no column named '" + std::string(name) + "'");
}

double FieldTraits<double>::decode(std::string_view text) {
  double v{};
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || p != text.data() + text.size())
    throw DecodeError("not a number: '" + std::string(text) + "'");
  return v;
}

std::optional<std::string> ParamTraits<double>::encode(double v) {
  return fmt::format("{}", v);
}

namespace {

using CalendarPattern =
    fmt::format_string<int, unsigned, unsigned, std::int64_t, std::int64_t, std::int64_t, std::int64_t>;

/// `t` in UTC as `pattern` lays out year, month, day, hours, minutes, seconds and the fraction (microseconds
/// divided by `fraction_divisor`).
std::string format_utc(Timestamp t, CalendarPattern pattern, std::int64_t fraction_divisor) {
  using namespace std::chrono;
  const auto day_start = floor<days>(t);
  const year_month_day date{day_start};
  const hh_mm_ss<microseconds> time{t - day_start};
  return fmt::format(pattern, static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                     static_cast<unsigned>(date.day()), std::int64_t{time.hours().count()},
                     std::int64_t{time.minutes().count()}, std::int64_t{time.seconds().count()},
                     std::int64_t{time.subseconds().count() / fraction_divisor});
}

}  // namespace

std::string format_timestamp(Timestamp t) {
  // Always UTC with an explicit offset: the server parses it the same whatever its TimeZone.
  return format_utc(t, "{:04d}-{:02d}-{:02d} {:02d}:{:02d}:{:02d}.{:06d}+00", 1);
}

std::string format_rfc3339(Timestamp t) {
  return format_utc(t, "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:03d}Z", 1000);
}

std::string rfc3339_from_text(std::string_view s) {
  // "YYYY-MM-DD HH:MM:SS" then an optional fraction, then "+00" in UTC sessions.
  const auto fraction_end = s.find_first_of("+-", 19);
  const bool utc = s.size() >= 19 && s[10] == ' ' && fraction_end != std::string_view::npos &&
                   s.substr(fraction_end) == "+00" && (fraction_end == 19 || s[19] == '.');
  if (!utc) return format_rfc3339(parse_timestamp(s));  // another offset: convert
  std::string out(s.substr(0, 19));
  out[10] = 'T';
  out += '.';
  const std::string_view digits = fraction_end > 20 ? s.substr(20, fraction_end - 20) : std::string_view{};
  for (std::size_t i = 0; i < 3; ++i) out += i < digits.size() ? digits[i] : '0';
  out += 'Z';
  return out;
}

Timestamp parse_timestamp(std::string_view s) {
  // ISO form as sent with DateStyle=ISO: "YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM]]".
  auto fail = [&]() -> Timestamp { throw DecodeError("not a timestamp: '" + std::string(s) + "'"); };
  auto number = [&](std::size_t pos, std::size_t len) {
    int v = 0;
    if (pos + len > s.size()) fail();
    auto [p, ec] = std::from_chars(s.data() + pos, s.data() + pos + len, v);
    if (ec != std::errc{} || p != s.data() + pos + len) fail();
    return v;
  };
  if (s.size() < 19) return fail();
  using namespace std::chrono;
  const year_month_day date{year{number(0, 4)}, month{static_cast<unsigned>(number(5, 2))},
                            day{static_cast<unsigned>(number(8, 2))}};
  if (!date.ok()) return fail();
  Timestamp t = time_point_cast<microseconds>(sys_days{date}) + hours{number(11, 2)} +
                minutes{number(14, 2)} + seconds{number(17, 2)};
  std::size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    std::size_t start = ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    std::size_t digits = pos - start;
    if (digits == 0) return fail();
    long frac = number(start, std::min<std::size_t>(digits, 6));
    for (std::size_t i = digits; i < 6; ++i) frac *= 10;
    t += microseconds{frac};
  }
  if (pos < s.size()) {
    if (s[pos] != '+' && s[pos] != '-') return fail();
    const int sign = s[pos] == '+' ? 1 : -1;
    int offset_minutes = number(pos + 1, 2) * 60;
    if (pos + 3 < s.size() && s[pos + 3] == ':') offset_minutes += number(pos + 4, 2);
    t -= minutes{sign * offset_minutes};
  }
  return t;
}

}  // namespace tenantry::db
