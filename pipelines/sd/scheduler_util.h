// Internal helpers shared by the scheduler implementations (not part of the public API).
#pragma once

#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

namespace atelier::sd {

at::Tensor trainSigmas(const at::Tensor& alphas_cumprod);   // √((1-ᾱ)/ᾱ) in fp32, [T]
// np.interp(timesteps, 0..T-1, sigmas) in float64, cast to fp32, plus the final sigma (0 or σ_min): [N+1].
at::Tensor interpSigmas(const at::Tensor& train_sigmas, const std::vector<double>& timesteps,
                        const std::string& final_sigmas_type);
at::Tensor scalarF(double v);                                // 0-dim fp32 CPU tensor
// Replaces bare NaN/Infinity/-Infinity tokens (Python json.dumps output) with null so nlohmann can parse.
std::string sanitizeNonFiniteJson(const std::string& text);

}  // namespace atelier::sd
