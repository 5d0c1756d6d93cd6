// The SD engine as the editing methods see it: text → context, image ↔ latents, one UNet call with an attention
// hook, and a sampler with index-based steps. `loadEditModel` (sd_adapter.cpp) implements it over atelier_sd;
// tests may implement it with stubs. All tensors live on model.device(); latents are fp32 [B,4,H/8,W/8].
// Thread-safety: a model and its samplers are used by one (runner) thread at a time.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "atelier/status.h"
#include "sd/attention_hook.h"

namespace atelier::edit {

// A noise schedule + update rule addressed by step index i = 0..numSteps()-1 (sampling order, t descending).
class Sampler {
 public:
  virtual ~Sampler() = default;
  virtual std::string name() const = 0;                  // "ddim", "euler", "dpmpp2m"
  virtual int numSteps() const = 0;                      // N after set_timesteps(N)
  virtual double timestep(int i) const = 0;              // model timestep at step i (may be fractional)
  virtual double sigma(int i) const = 0;                 // √((1-ᾱ)/ᾱ) at step i (0 when not applicable)
  virtual double initNoiseSigma() const = 0;             // multiplier for the initial noise
  virtual void setBeginIndex(int i) = 0;                 // img2img: first step that will be run
  virtual at::Tensor scaleModelInput(const at::Tensor& x, int i) = 0;          // x: [B,4,h,w]
  virtual at::Tensor step(const at::Tensor& model_out, int i, const at::Tensor& x) = 0;  // latent at i → i+1
  virtual at::Tensor addNoise(const at::Tensor& x0, const at::Tensor& noise, int i) const = 0;  // noise x0 to t_i
  // DDIM only: latent at step i+1 (or the clean latent for i = N-1) → latent at step i, with the model output
  // evaluated at timestep(i) on the given latent. Other samplers return Unsupported.
  virtual Result<at::Tensor> invertStep(const at::Tensor& model_out, int i, const at::Tensor& x) = 0;
  // True when step() has no hidden state (DDIM), so it may be called repeatedly for one i (null-text inversion).
  virtual bool statelessStep() const = 0;
};

class EditModel {
 public:
  virtual ~EditModel() = default;
  virtual c10::Device device() const = 0;
  virtual c10::ScalarType dtype() const = 0;                   // compute dtype of the UNet
  virtual std::string modelName() const = 0;                   // folder name, for metadata
  virtual std::string defaultSampler() const = 0;              // the folder's sampler (ddim when unsupported)
  virtual int64_t defaultSize() const = 0;                     // UNet sample_size × vaeScaleFactor()
  virtual int64_t vaeScaleFactor() const { return 8; }         // image pixels per latent pixel (2^(VAE blocks − 1))
  // Token ids without BOS/EOS (for P2P word ↔ token maps).
  virtual std::vector<int64_t> encodeTokens(const std::string& text) const = 0;
  // Text conditioning [B,77,C] (fp32 on device()).
  virtual Result<at::Tensor> encodeText(const std::vector<std::string>& prompts) = 0;
  // One UNet call: x [B,4,h,w] (already scaled by the sampler), t model timestep, ctx [B,L,C] → model output.
  // hook may be null; it sees `step`. Autograd flows when grad mode is on.
  virtual at::Tensor unet(const at::Tensor& x, double t, const at::Tensor& ctx, sd::AttentionHook* hook,
                          const sd::StepInfo& step) = 0;
  // image [1,3,H,W] in [0,1] → encoder mean · scaling_factor [1,4,H/8,W/8].
  virtual Result<at::Tensor> encodeImage(const at::Tensor& image) = 0;
  // latents [B,4,h,w] → image [B,3,8h,8w] in [0,1] (CPU fp32).
  virtual Result<at::Tensor> decodeLatents(const at::Tensor& latents) = 0;
  // Sampler by name ("ddim", "euler", "dpmpp2m", "" = defaultSampler()) built from the folder's config, N steps.
  virtual Result<std::unique_ptr<Sampler>> makeSampler(const std::string& name, int steps) = 0;
  // Initial noise as `generate` draws it: CPU randn with `seed`, shape [1,4,h,w], moved to device().
  virtual at::Tensor noise(int64_t seed, int64_t h, int64_t w) const = 0;
};

// Loads a diffusers folder (or single file) through atelier_sd. Errors name the path.
Result<std::shared_ptr<EditModel>> loadEditModel(const std::string& path, const c10::Device& device,
                                                 c10::ScalarType dtype);

}  // namespace atelier::edit
