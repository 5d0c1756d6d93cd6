// Stage boundary guards (exceptions → Status) and the stage registry.
#include "atelier/stage.h"

#include <c10/util/Exception.h>

#include <algorithm>
#include <new>

namespace atelier {

namespace {
// First line of a c10::Error message (the rest is a C++ backtrace users don't need).
std::string firstLine(const std::string& s) {
  auto pos = s.find('\n');
  return pos == std::string::npos ? s : s.substr(0, pos);
}

bool looksLikeOom(const std::string& msg) {
  return msg.find("out of memory") != std::string::npos || msg.find("OutOfMemory") != std::string::npos;
}

template <class Fn>
auto guarded(const std::string& where, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const c10::Error& e) {
    std::string msg = firstLine(e.what_without_backtrace());
    if (looksLikeOom(msg)) { return Status::OutOfMemory(where + ": " + msg); }
    return Status::Internal(where + ": " + msg);
  } catch (const std::bad_alloc&) {
    return Status::OutOfMemory(where + ": out of host memory");
  } catch (const std::exception& e) {
    return Status::Internal(where + ": " + firstLine(e.what()));
  }
}
}  // namespace

Result<Packet> processGuarded(Stage& stage, const Packet& in, RunContext& ctx) {
  const std::string id(stage.id());
  Result<Packet> r = guarded(id, [&]() -> Result<Packet> { return stage.process(in, ctx); });
  if (!r.ok() && r.status().code() != StatusCode::kCancelled && r.status().message().rfind(id + ":", 0) != 0) {
    return r.status().withContext(id);
  }
  return r;
}

Status configureGuarded(Stage& stage, const ParamSet& values) {
  return guarded(std::string(stage.id()), [&]() -> Status {
    auto resolved = resolveParams(stage.params(), values);
    if (!resolved.ok()) { return resolved.status().withContext(std::string(stage.id())); }
    return stage.configure(resolved.value());
  });
}

StageRegistry& StageRegistry::global() {
  static StageRegistry r;
  return r;
}

void StageRegistry::add(std::string id, std::string label, StageFactory f) {
  factories_[std::move(id)] = {std::move(label), std::move(f)};
}

std::unique_ptr<Stage> StageRegistry::create(const std::string& id) const {
  auto it = factories_.find(id);
  return it == factories_.end() ? nullptr : it->second.second();
}

std::vector<std::pair<std::string, std::string>> StageRegistry::list() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [id, v] : factories_) { out.emplace_back(id, v.first); }
  return out;
}

}  // namespace atelier
