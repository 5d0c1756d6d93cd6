// LruCache: least-recently-used cache charged in bytes (LevelDB Cache semantics, shared_ptr handles).
// Entries still referenced by a caller stay alive after eviction (shared_ptr) but no longer count.
// Thread-safety: all methods are safe from any thread (one mutex).
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace atelier {

class LruCache {
 public:
  explicit LruCache(size_t capacity_bytes);
  // Inserts or replaces `key`; evicts least-recently-used entries until the total charge fits.
  // An entry larger than the capacity is not kept (returns false).
  bool insert(std::string_view key, std::shared_ptr<const void> value, size_t charge_bytes);
  std::shared_ptr<const void> lookup(std::string_view key);   // nullptr on miss; marks as recently used
  template <class T>
  std::shared_ptr<const T> get(std::string_view key) { return std::static_pointer_cast<const T>(lookup(key)); }
  void erase(std::string_view key);
  void prune();                                                 // drops every entry
  void setCapacity(size_t capacity_bytes);                      // evicts if needed
  size_t capacityBytes() const;
  size_t totalChargeBytes() const;
  size_t size() const;                                          // number of entries
  int64_t hits() const;
  int64_t misses() const;
  int64_t evictions() const;

 private:
  struct Entry { std::string key; std::shared_ptr<const void> value; size_t charge; };
  void evictLocked();
  mutable std::mutex mu_;
  size_t capacity_;
  size_t total_ = 0;
  int64_t hits_ = 0, misses_ = 0, evictions_ = 0;
  std::list<Entry> lru_;   // front = most recent
  std::unordered_map<std::string, std::list<Entry>::iterator> map_;
};

}  // namespace atelier
