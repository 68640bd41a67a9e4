#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tenantry::db::detail {

/// The prepared statements of one connection, one per (schema, SQL), least recently used evicted first.
/// PostgreSQL re-analyses and re-plans a prepared statement whenever search_path differs from the one it was
/// prepared under; a connection serving several tenants therefore keeps a statement per tenant schema, and a
/// tenant switch costs only the switch. The bound keeps dynamic SQL and many tenants from growing a backend
/// without limit.
class StatementCache {
 public:
  explicit StatementCache(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  /// The server-side name of the statement prepared for `sql` under `schema`, or nullptr; marks it used.
  /// The pointer stays valid until the next add().
  const std::string* find(std::string_view schema, std::string_view sql);
  /// Registers a statement about to be prepared and returns its new name; evicts beyond the capacity.
  const std::string& add(std::string_view schema, std::string_view sql);
  /// Drops a statement; its name goes to the DEALLOCATE list only if `prepared` (it exists on the server).
  void forget(std::string_view schema, std::string_view sql, bool prepared);
  /// Names to DEALLOCATE on the server (evicted or forgotten), handed over once.
  std::vector<std::string> take_deallocations();
  bool has_deallocations() const noexcept { return !deallocations_.empty(); }
  std::size_t size() const noexcept { return entries_.size(); }

 private:
  struct Entry {
    std::string key;
    std::string name;
  };
  const std::string& key_for(std::string_view schema, std::string_view sql);

  std::size_t capacity_;
  std::list<Entry> entries_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  std::vector<std::string> deallocations_;
  std::string key_;  // reused lookup buffer: no allocation per statement once warm
  std::uint64_t next_id_ = 0;
};

}  // namespace tenantry::db::detail
