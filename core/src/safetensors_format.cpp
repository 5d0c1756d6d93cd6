// safetensors dtype table and writer (serialisation + atomic save).
#include <ATen/ATen.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <unistd.h>

#include "atelier/safetensors.h"
#include "safetensors_internal.h"

namespace atelier {

namespace {
struct DTypeRow { StDType st; const char* name; size_t size; at::ScalarType at; };
const DTypeRow kRows[] = {
    {StDType::kF64, "F64", 8, at::kDouble},   {StDType::kF32, "F32", 4, at::kFloat},
    {StDType::kF16, "F16", 2, at::kHalf},     {StDType::kBF16, "BF16", 2, at::kBFloat16},
    {StDType::kI64, "I64", 8, at::kLong},     {StDType::kI32, "I32", 4, at::kInt},
    {StDType::kI16, "I16", 2, at::kShort},    {StDType::kI8, "I8", 1, at::kChar},
    {StDType::kU8, "U8", 1, at::kByte},       {StDType::kBool, "BOOL", 1, at::kBool},
    {StDType::kF8E4M3, "F8_E4M3", 1, at::kByte}, {StDType::kF8E5M2, "F8_E5M2", 1, at::kByte},
};
}  // namespace

const char* stDTypeName(StDType t) {
  for (const auto& r : kRows) { if (r.st == t) return r.name; }
  return "INVALID";
}
size_t stDTypeSize(StDType t) {
  for (const auto& r : kRows) { if (r.st == t) return r.size; }
  return 0;
}
Result<StDType> stDTypeFromName(const std::string& s) {
  for (const auto& r : kRows) { if (s == r.name) return r.st; }
  return Status::Corruption("unknown dtype '" + s + "'");
}
at::ScalarType stDTypeToScalar(StDType t) {
  for (const auto& r : kRows) { if (r.st == t) return r.at; }
  return at::kByte;
}
Result<StDType> scalarToStDType(at::ScalarType s) {
  for (const auto& r : kRows) {
    if (r.at == s && r.st != StDType::kF8E4M3 && r.st != StDType::kF8E5M2) return r.st;
  }
  return Status::Unsupported(std::string("dtype ") + c10::toString(s) + " cannot be stored in safetensors");
}

Result<std::string> serializeSafetensors(const TensorMap& tensors, const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) { header["__metadata__"] = metadata; }
  std::vector<at::Tensor> contiguous;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {   // std::map: names sorted
    if (name == "__metadata__") { return Status::InvalidArgument("tensor name '__metadata__' is reserved"); }
    if (!t.defined()) { return Status::InvalidArgument("tensor '" + name + "' is undefined"); }
    ATELIER_ASSIGN_OR_RETURN(StDType st, scalarToStDType(t.scalar_type()));
    at::Tensor c = t.detach().to(at::kCPU).contiguous();
    uint64_t bytes = static_cast<uint64_t>(c.numel()) * stDTypeSize(st);
    header[name] = {{"dtype", stDTypeName(st)}, {"shape", c.sizes().vec()}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    contiguous.push_back(c);
  }
  std::string h = header.dump();
  while ((h.size() + 8) % 8 != 0) { h.push_back(' '); }
  std::string out;
  out.reserve(8 + h.size() + offset);
  uint64_t n = h.size();
  for (int i = 0; i < 8; ++i) { out.push_back(static_cast<char>((n >> (8 * i)) & 0xff)); }
  out += h;
  for (const auto& c : contiguous) {
    out.append(static_cast<const char*>(c.data_ptr()), c.numel() * c.element_size());
  }
  return out;
}

Status saveSafetensors(const std::string& path, const TensorMap& tensors,
                       const std::map<std::string, std::string>& metadata) {
  ATELIER_ASSIGN_OR_RETURN(std::string bytes, serializeSafetensors(tensors, metadata));
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) { return Status::NotFound(path + ": cannot open for writing"); }
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!f) {
      std::remove(tmp.c_str());
      return Status::Internal(path + ": write failed (disk full?)");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return Status::Internal(path + ": rename from temporary file failed");
  }
  return Status::Ok();
}

}  // namespace atelier
