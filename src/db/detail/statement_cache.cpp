#include "db/detail/statement_cache.hpp"

#include <utility>

namespace tenantry::db::detail {

const std::string& StatementCache::key_for(std::string_view schema, std::string_view sql) {
  // A schema name never contains NUL, so the pair cannot collide with another.
  key_.assign(schema);
  key_.push_back('\0');
  key_.append(sql);
  return key_;
}

const std::string* StatementCache::find(std::string_view schema, std::string_view sql) {
  auto it = index_.find(key_for(schema, sql));
  if (it == index_.end()) return nullptr;
  entries_.splice(entries_.begin(), entries_, it->second);
  return &it->second->name;
}

const std::string& StatementCache::add(std::string_view schema, std::string_view sql) {
  while (entries_.size() >= capacity_) {
    deallocations_.push_back(std::move(entries_.back().name));
    index_.erase(entries_.back().key);
    entries_.pop_back();
  }
  entries_.push_front(Entry{key_for(schema, sql), "tenantry_" + std::to_string(++next_id_)});
  index_[entries_.front().key] = entries_.begin();
  return entries_.front().name;
}

void StatementCache::forget(std::string_view schema, std::string_view sql, bool prepared) {
  auto it = index_.find(key_for(schema, sql));
  if (it == index_.end()) return;
  if (prepared) deallocations_.push_back(std::move(it->second->name));
  entries_.erase(it->second);
  index_.erase(it);
}

std::vector<std::string> StatementCache::take_deallocations() {
  return std::exchange(deallocations_, {});
}

}  // namespace tenantry::db::detail
