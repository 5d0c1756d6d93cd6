// safetensors reader: mmap + strict header validation; tensors are zero-copy views when aligned.
#include <ATen/ATen.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atelier/safetensors.h"
#include "safetensors_internal.h"

namespace atelier {

namespace {
Status corrupt(const std::string& file, const std::string& what) { return Status::Corruption(file + ": " + what); }

// Multiplies non-negative values; false on overflow past 2^62.
bool checkedMul(uint64_t a, uint64_t b, uint64_t* out) {
  if (a != 0 && b > (uint64_t{1} << 62) / a) { return false; }
  *out = a * b;
  return true;
}
}  // namespace

Result<std::shared_ptr<SafetensorsFile>> SafetensorsFile::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) { return Status::NotFound(path + ": cannot open (" + std::string(strerror(errno)) + ")"); }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::InvalidArgument(path + ": not a regular file");
  }
  std::shared_ptr<SafetensorsFile> f(new SafetensorsFile());
  f->path_ = path;
  f->size_ = static_cast<uint64_t>(st.st_size);
  if (f->size_ > 0) {
    // MAP_PRIVATE + write permission: tensors viewing the file may be modified in place (copy-on-write).
    void* p = ::mmap(nullptr, f->size_, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      ::close(fd);
      return Status::Internal(path + ": mmap failed (" + std::string(strerror(errno)) + ")");
    }
    f->mapping_ = p;
    f->base_ = static_cast<const uint8_t*>(p);
  }
  ::close(fd);
  f->self_ = f;
  ATELIER_RETURN_IF_ERROR(f->parse());
  return f;
}

Result<std::shared_ptr<SafetensorsFile>> SafetensorsFile::fromBytes(std::string bytes, const std::string& label) {
  std::shared_ptr<SafetensorsFile> f(new SafetensorsFile());
  f->path_ = label;
  f->bytes_ = std::move(bytes);
  f->size_ = f->bytes_.size();
  f->base_ = reinterpret_cast<const uint8_t*>(f->bytes_.data());
  f->self_ = f;
  ATELIER_RETURN_IF_ERROR(f->parse());
  return f;
}

SafetensorsFile::~SafetensorsFile() {
  if (mapping_) { ::munmap(mapping_, size_); }
}

Status SafetensorsFile::parse() {
  if (size_ < 8) { return corrupt(path_, "file is " + std::to_string(size_) + " bytes, too short for a header"); }
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) { n = (n << 8) | base_[i]; }
  if (n > kMaxSafetensorsHeaderBytes) {
    return corrupt(path_, "header length " + std::to_string(n) + " exceeds the 100 MiB limit");
  }
  if (n > size_ - 8) {
    return corrupt(path_, "header length " + std::to_string(n) + " runs past the end of the file (" +
                              std::to_string(size_) + " bytes; truncated?)");
  }
  data_start_ = 8 + n;
  const uint64_t data_bytes = size_ - data_start_;
  auto j = nlohmann::json::parse(base_ + 8, base_ + 8 + n, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) { return corrupt(path_, "header is not valid JSON"); }
  if (!j.is_object()) { return corrupt(path_, "header JSON is not an object"); }
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& name = it.key();
    const auto& v = it.value();
    if (name == "__metadata__") {
      if (!v.is_object()) { return corrupt(path_, "__metadata__ is not an object"); }
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (!m.value().is_string()) { return corrupt(path_, "__metadata__['" + m.key() + "'] is not a string"); }
        metadata_[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    auto bad = [&](const std::string& what) { return corrupt(path_, "tensor '" + name + "': " + what); };
    if (!v.is_object()) { return bad("entry is not an object"); }
    if (!v.contains("dtype") || !v["dtype"].is_string()) { return bad("missing or non-string dtype"); }
    if (!v.contains("shape") || !v["shape"].is_array()) { return bad("missing or non-array shape"); }
    if (!v.contains("data_offsets") || !v["data_offsets"].is_array() || v["data_offsets"].size() != 2) {
      return bad("data_offsets must be an array of two integers");
    }
    StTensorInfo info;
    info.name = name;
    auto dt = stDTypeFromName(v["dtype"].get<std::string>());
    if (!dt.ok()) { return bad(dt.status().message()); }
    info.dtype = dt.value();
    uint64_t numel = 1;
    for (const auto& d : v["shape"]) {
      if (!d.is_number_unsigned()) { return bad("shape entries must be non-negative integers"); }
      uint64_t dim = d.get<uint64_t>();
      if (!checkedMul(numel, dim, &numel)) { return bad("shape element count overflows"); }
      info.shape.push_back(static_cast<int64_t>(dim));
    }
    for (const auto& o : v["data_offsets"]) {
      if (!o.is_number_unsigned()) { return bad("data_offsets must be non-negative integers"); }
    }
    info.begin = v["data_offsets"][0].get<uint64_t>();
    info.end = v["data_offsets"][1].get<uint64_t>();
    if (info.begin > info.end) { return bad("data_offsets begin > end"); }
    if (info.end > data_bytes) {
      return bad("data_offsets [" + std::to_string(info.begin) + ", " + std::to_string(info.end) +
                 ") run past the end of the data (" + std::to_string(data_bytes) + " bytes; truncated?)");
    }
    uint64_t expect = 0;
    if (!checkedMul(numel, stDTypeSize(info.dtype), &expect) || expect != info.end - info.begin) {
      return bad("shape × dtype size = " + std::to_string(expect) + " bytes but the byte range holds " +
                 std::to_string(info.end - info.begin));
    }
    infos_.push_back(std::move(info));
  }
  std::sort(infos_.begin(), infos_.end(), [](const StTensorInfo& a, const StTensorInfo& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  for (size_t i = 1; i < infos_.size(); ++i) {
    if (infos_[i].begin < infos_[i - 1].end && infos_[i].end > infos_[i].begin) {
      return corrupt(path_, "tensors '" + infos_[i - 1].name + "' and '" + infos_[i].name + "' overlap");
    }
  }
  for (size_t i = 0; i < infos_.size(); ++i) { index_[infos_[i].name] = i; }
  return Status::Ok();
}

const StTensorInfo* SafetensorsFile::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &infos_[it->second];
}

Result<at::Tensor> SafetensorsFile::tensor(const std::string& name) const {
  const StTensorInfo* info = find(name);
  if (!info) { return Status::NotFound(path_ + ": no tensor named '" + name + "'"); }
  auto opts = at::TensorOptions().dtype(stDTypeToScalar(info->dtype)).device(at::kCPU);
  uint8_t* ptr = const_cast<uint8_t*>(base_ + data_start_ + info->begin);
  const size_t align = stDTypeSize(info->dtype);
  if (info->end == info->begin) { return at::empty(info->shape, opts); }
  if (reinterpret_cast<uintptr_t>(ptr) % align != 0) {
    at::Tensor out = at::empty(info->shape, opts);
    std::memcpy(out.data_ptr(), ptr, info->end - info->begin);
    return out;
  }
  std::shared_ptr<SafetensorsFile> keep = self_.lock();
  return at::from_blob(ptr, info->shape, [keep](void*) {}, opts);
}

Result<TensorMap> SafetensorsFile::all() const {
  TensorMap out;
  for (const auto& info : infos_) {
    ATELIER_ASSIGN_OR_RETURN(out[info.name], tensor(info.name));
  }
  return out;
}

Result<TensorMap> loadSafetensors(const std::string& path) {
  ATELIER_ASSIGN_OR_RETURN(auto f, SafetensorsFile::open(path));
  return f->all();
}

}  // namespace atelier
