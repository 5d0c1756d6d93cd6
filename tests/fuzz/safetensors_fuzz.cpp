// libFuzzer target for the safetensors reader: any byte string must yield a Status or a valid file, never a crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "atelier/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto f = atelier::SafetensorsFile::fromBytes(std::string(reinterpret_cast<const char*>(data), size), "fuzz");
  if (f.ok()) {
    for (const auto& info : f.value()->tensors()) {
      auto t = f.value()->tensor(info.name);
      if (t.ok() && t.value().numel() > 0) { (void)t.value().flatten()[0]; }
    }
  }
  return 0;
}
