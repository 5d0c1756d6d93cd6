// Numeric test helpers: all-close with a useful report, NMSE, shared-data discovery.
#pragma once

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>

namespace atelier::test {

// Directory of the shared reference data: $ATELIER_SHARED_DIR, else the configure-time default.
inline std::string sharedDir() {
  if (const char* env = std::getenv("ATELIER_SHARED_DIR")) { if (*env) return env; }
#ifdef ATELIER_SHARED_DIR
  return ATELIER_SHARED_DIR;
#else
  return "../shared";
#endif
}

inline bool haveShared() { return std::filesystem::is_directory(sharedDir()); }

// Skips the current test when the shared reference folder is absent.
#define ATELIER_REQUIRE_SHARED()                                                                          \
  do {                                                                                                    \
    if (!::atelier::test::haveShared())                                                                   \
      GTEST_SKIP() << "shared reference data not found at " << ::atelier::test::sharedDir()              \
                   << " (set ATELIER_SHARED_DIR); skipping";                                              \
  } while (0)

// Σ(a−b)² / Σb² (ggml test-backend-ops); 0 when both are zero.
inline double Nmse(const at::Tensor& actual, const at::Tensor& expected) {
  auto a = actual.detach().to(at::kCPU, at::kDouble);
  auto b = expected.detach().to(at::kCPU, at::kDouble);
  double num = (a - b).pow(2).sum().item<double>();
  double den = b.pow(2).sum().item<double>();
  return den == 0 ? num : num / den;
}

inline double MaxAbsDiff(const at::Tensor& a, const at::Tensor& b) {
  return (a.detach().to(at::kCPU, at::kDouble) - b.detach().to(at::kCPU, at::kDouble)).abs().max().item<double>();
}

// Passes when |a−e| ≤ atol + rtol·|e| everywhere; reports max abs/rel error, its index and both shapes.
inline ::testing::AssertionResult AllClose(const at::Tensor& actual, const at::Tensor& expected, double rtol,
                                           double atol) {
  if (!actual.sizes().equals(expected.sizes())) {
    std::ostringstream os;
    os << "shape mismatch: actual " << actual.sizes() << " vs expected " << expected.sizes();
    return ::testing::AssertionFailure() << os.str();
  }
  auto a = actual.detach().to(at::kCPU, at::kDouble).flatten();
  auto e = expected.detach().to(at::kCPU, at::kDouble).flatten();
  auto diff = (a - e).abs();
  auto excess = diff - (atol + rtol * e.abs());
  int64_t worst = excess.argmax().item<int64_t>();
  double max_abs = a.numel() ? diff.max().item<double>() : 0;
  if (a.numel() == 0 || excess[worst].item<double>() <= 0) {
    return ::testing::AssertionSuccess() << "max abs err " << max_abs;
  }
  std::ostringstream os;
  os << "not close (rtol " << rtol << ", atol " << atol << "): max abs err " << max_abs << "; worst at flat index "
     << worst << ": actual " << a[worst].item<double>() << " expected " << e[worst].item<double>()
     << "; shape " << actual.sizes() << ", NMSE " << Nmse(actual, expected);
  return ::testing::AssertionFailure() << os.str();
}

// Non-fatal expectation form of AllClose (prefer EXPECT_TRUE(AllClose(...)) for the caller's line number).
inline void ExpectAllClose(const at::Tensor& actual, const at::Tensor& expected, double rtol, double atol) {
  EXPECT_TRUE(AllClose(actual, expected, rtol, atol));
}

}  // namespace atelier::test
