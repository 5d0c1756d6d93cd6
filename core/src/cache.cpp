// LruCache: charge-based LRU with hit/miss/eviction counters.
#include "atelier/cache.h"

namespace atelier {

LruCache::LruCache(size_t capacity_bytes) : capacity_(capacity_bytes) {}

bool LruCache::insert(std::string_view key, std::shared_ptr<const void> value, size_t charge_bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string k(key);
  auto it = map_.find(k);
  if (it != map_.end()) {
    total_ -= it->second->charge;
    lru_.erase(it->second);
    map_.erase(it);
  }
  if (charge_bytes > capacity_) { return false; }
  lru_.push_front(Entry{k, std::move(value), charge_bytes});
  map_[k] = lru_.begin();
  total_ += charge_bytes;
  evictLocked();
  return true;
}

std::shared_ptr<const void> LruCache::lookup(std::string_view key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = map_.find(std::string(key));
  if (it == map_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->value;
}

void LruCache::erase(std::string_view key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = map_.find(std::string(key));
  if (it == map_.end()) { return; }
  total_ -= it->second->charge;
  lru_.erase(it->second);
  map_.erase(it);
}

void LruCache::prune() {
  std::lock_guard<std::mutex> lock(mu_);
  lru_.clear();
  map_.clear();
  total_ = 0;
}

void LruCache::setCapacity(size_t capacity_bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  capacity_ = capacity_bytes;
  evictLocked();
}

void LruCache::evictLocked() {
  while (total_ > capacity_ && !lru_.empty()) {
    const Entry& e = lru_.back();
    total_ -= e.charge;
    map_.erase(e.key);
    lru_.pop_back();
    ++evictions_;
  }
}

size_t LruCache::capacityBytes() const { std::lock_guard<std::mutex> l(mu_); return capacity_; }
size_t LruCache::totalChargeBytes() const { std::lock_guard<std::mutex> l(mu_); return total_; }
size_t LruCache::size() const { std::lock_guard<std::mutex> l(mu_); return map_.size(); }
int64_t LruCache::hits() const { std::lock_guard<std::mutex> l(mu_); return hits_; }
int64_t LruCache::misses() const { std::lock_guard<std::mutex> l(mu_); return misses_; }
int64_t LruCache::evictions() const { std::lock_guard<std::mutex> l(mu_); return evictions_; }

}  // namespace atelier
