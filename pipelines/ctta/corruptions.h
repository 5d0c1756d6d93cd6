// The 15 ImageNet-C / CIFAR-10-C corruptions (hendrycks/robustness maths, uint8 truncation), 5 severities,
// CIFAR (32 px) and ImageNet (224 px) parameter sets. Plain C++: no OpenCV, JPEG via libjpeg.
// Deterministic: the same (image, corruption, severity, seed) gives the same bytes. See docs in corruptions.md.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "atelier/status.h"
#include "ctta/image_codec.h"

namespace atelier::ctta {

enum class Corruption {
  kGaussianNoise = 0, kShotNoise, kImpulseNoise, kDefocusBlur, kGlassBlur, kMotionBlur, kZoomBlur, kSnow, kFrost,
  kFog, kBrightness, kContrast, kElasticTransform, kPixelate, kJpegCompression
};
enum class CorruptionSet { kCifar32 = 0, kImageNet224 };   // which parameter table

// Names in the standard stream order ("gaussian_noise", …, "jpeg_compression").
const std::vector<std::string>& corruptionNames();
const char* corruptionName(Corruption c);
Result<Corruption> parseCorruption(const std::string& name);
bool corruptionIsRandom(Corruption c);                  // false for the six deterministic ones

// The five frost overlays (frost1–frost5), RGB, already scaled for the set (×0.2 for CIFAR, as the reference).
struct FrostBank {
  std::vector<Image8> images;
};
// Loads frost1.png … frost5.jpg from `dir`.
Result<FrostBank> loadFrostBank(const std::string& dir, CorruptionSet set);

// Corrupts one RGB uint8 image. severity 1..5; `seed` drives every random draw; `frost` needed for kFrost.
Result<Image8> corruptImage(const Image8& img, Corruption c, int severity, CorruptionSet set, uint64_t seed,
                            const FrostBank* frost = nullptr);
// Per-image seed for image `index` of a stream (mixes base seed, corruption, severity and index).
uint64_t corruptionSeed(uint64_t base, Corruption c, int severity, int64_t index);
// Corrupts uint8 [N,H,W,3]; image i uses corruptionSeed(base, c, severity, indices[i]). Parallel over images.
Result<at::Tensor> corruptBatch(const at::Tensor& u8_nhwc, const at::Tensor& indices, Corruption c, int severity,
                                CorruptionSet set, uint64_t base_seed, const FrostBank* frost = nullptr);

}  // namespace atelier::ctta
