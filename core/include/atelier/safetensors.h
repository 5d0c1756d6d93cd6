// safetensors reader and writer: memory-mapped, validated, zero-copy where alignment allows.
// Format: 8-byte LE header length N, N bytes of JSON {name: {dtype, shape, data_offsets:[b,e]}, __metadata__: {k: str}},
// then the byte buffer. Every structural problem is reported as Status::Corruption naming the file and tensor.
// Thread-safety: a SafetensorsFile is immutable after open and may be read from any thread.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "atelier/status.h"

namespace atelier {

using TensorMap = std::map<std::string, at::Tensor>;

enum class StDType { kInvalid = 0, kF64, kF32, kF16, kBF16, kI64, kI32, kI16, kI8, kU8, kBool, kF8E4M3, kF8E5M2 };

struct StTensorInfo {
  std::string name;
  StDType dtype = StDType::kInvalid;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;   // byte range relative to the data buffer start
};

constexpr uint64_t kMaxSafetensorsHeaderBytes = 100ull << 20;  // 100 MiB

const char* stDTypeName(StDType t);                  // "F32", ...
size_t stDTypeSize(StDType t);                       // bytes per element
Result<StDType> stDTypeFromName(const std::string& s);

class SafetensorsFile {
 public:
  // Maps the file read-only and validates header and ranges. REQUIRES: nothing; errors name `path`.
  static Result<std::shared_ptr<SafetensorsFile>> open(const std::string& path);
  // Same checks on an in-memory copy (used by the fuzzer and tests); `label` names it in errors.
  static Result<std::shared_ptr<SafetensorsFile>> fromBytes(std::string bytes, const std::string& label);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  const std::vector<StTensorInfo>& tensors() const { return infos_; }          // file order (sorted by offset)
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const StTensorInfo* find(const std::string& name) const;                     // nullptr when absent
  uint64_t fileBytes() const { return size_; }
  // CPU tensor viewing the mapping when aligned (keeps the file alive), else a copy. F8 → uint8 raw bytes.
  Result<at::Tensor> tensor(const std::string& name) const;
  // All tensors as a map (zero-copy views where possible).
  Result<TensorMap> all() const;

 private:
  SafetensorsFile() = default;
  Status parse();
  std::string path_;
  const uint8_t* base_ = nullptr;  // start of mapping / bytes
  uint64_t size_ = 0;
  uint64_t data_start_ = 0;
  void* mapping_ = nullptr;        // mmap base, or nullptr when owning `bytes_`
  std::string bytes_;
  std::vector<StTensorInfo> infos_;
  std::map<std::string, size_t> index_;
  std::map<std::string, std::string> metadata_;
  std::weak_ptr<SafetensorsFile> self_;
  friend struct SafetensorsFileAccess;
};

// Convenience: open + all(). Errors name the file.
Result<TensorMap> loadSafetensors(const std::string& path);
// Writes tensors (made contiguous, moved to CPU) atomically (temp file + rename), names sorted, 8-byte aligned.
Status saveSafetensors(const std::string& path, const TensorMap& tensors,
                       const std::map<std::string, std::string>& metadata = {});
// Serialises to bytes (what saveSafetensors writes).
Result<std::string> serializeSafetensors(const TensorMap& tensors, const std::map<std::string, std::string>& metadata = {});

}  // namespace atelier
