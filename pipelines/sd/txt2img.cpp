// txt2img sampling loop with classifier-free guidance, callbacks and VAE decode.
#include "sd/txt2img.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <sstream>

namespace atelier::sd {

at::Tensor seededNoise(int64_t seed, at::IntArrayRef shape) {
  at::Generator gen = at::detail::createCPUGenerator(static_cast<uint64_t>(seed));
  return at::randn(shape, gen, at::TensorOptions().dtype(at::kFloat));
}

at::Tensor encodePrompts(SdModel& model, const std::vector<std::string>& prompts, int clip_skip) {
  const at::Tensor ids = model.tokenizer.tokenizeBatch(prompts).to(model.device);
  const int layers = static_cast<int>(model.text_encoder->encoder->layers->size());
  const int k = std::max(1, std::min(clip_skip, layers));
  return model.text_encoder->hiddenState(ids, k, true);
}

at::Tensor decodeLatents(SdModel& model, const at::Tensor& latents) {
  const at::Tensor z = (latents.to(at::kFloat) / model.vae_scaling_factor).to(model.device, model.vae_dtype);
  const at::Tensor image = model.vae->decode(z);
  return (image.to(at::kFloat) / 2 + 0.5).clamp(0, 1).to(at::kCPU);
}

at::Tensor latentPreview(const at::Tensor& latents) {
  static const float kFactors[4][3] = {
      {0.3512f, 0.2297f, 0.3227f}, {0.3250f, 0.4974f, 0.2350f}, {-0.2829f, 0.1762f, 0.2721f}, {-0.2120f, -0.2616f, -0.7177f}};
  const at::Tensor f = at::from_blob(const_cast<float*>(&kFactors[0][0]), {4, 3}, at::kFloat).clone();
  const at::Tensor x = latents.detach().to(at::kCPU, at::kFloat);
  const at::Tensor rgb = at::einsum("bchw,cr->brhw", {x.narrow(1, 0, std::min<int64_t>(4, x.size(1))), f});
  return ((rgb + 1) / 2).clamp(0, 1);
}

Result<Txt2ImgResult> txt2img(SdModel& model, Scheduler& scheduler, const Txt2ImgRequest& req,
                              const StepCallback& callback) {
  if (!model.unet || !model.text_encoder) return Status::InvalidArgument("txt2img: model has no UNet or text encoder loaded");
  if (req.decode && !model.vae) return Status::InvalidArgument("txt2img: model has no VAE loaded");
  if (req.steps < 1) return Status::InvalidArgument("txt2img: steps must be ≥ 1");
  // diffusers: default size sample_size × vae_scale_factor; sizes must be multiples of 8 (check_inputs).
  const int64_t f = model.vae_scale_factor;
  const int64_t width = req.width > 0 ? req.width : model.sample_size * f;
  const int64_t height = req.height > 0 ? req.height : model.sample_size * f;
  if (width % 8 != 0 || height % 8 != 0) {
    return Status::InvalidArgument("txt2img: width and height must be multiples of 8 (got " + std::to_string(width) +
                                   "x" + std::to_string(height) + ")");
  }
  const int64_t batch = req.init_latents.defined() ? req.init_latents.size(0) : std::max<int64_t>(1, req.batch);
  const int64_t channels = model.unet->config().in_channels;
  const std::vector<int64_t> shape = {batch, channels, height / f, width / f};
  if (req.init_latents.defined() && req.init_latents.sizes() != at::IntArrayRef(shape)) {
    std::ostringstream os;
    os << "txt2img: initial latents have shape " << req.init_latents.sizes() << ", expected " << at::IntArrayRef(shape);
    return Status::InvalidArgument(os.str());
  }
  at::NoGradGuard no_grad;
  const bool cfg = req.cfg_scale > 1.0;
  at::Tensor ctx = encodePrompts(model, std::vector<std::string>(batch, req.prompt), req.clip_skip);
  if (cfg) {
    const at::Tensor uncond = encodePrompts(model, std::vector<std::string>(batch, req.negative_prompt), req.clip_skip);
    ctx = at::cat({uncond, ctx}, 0);
  }
  scheduler.setTimesteps(req.steps);
  at::Tensor noise = req.init_latents.defined() ? req.init_latents.to(at::kFloat) : seededNoise(req.seed, shape);
  at::Tensor x = (noise * scheduler.initNoiseSigma()).to(model.device);
  const auto& ts = scheduler.timesteps();
  for (size_t i = 0; i < ts.size(); ++i) {
    const double t = ts[i];
    const StepInfo info{static_cast<int>(i), static_cast<int>(ts.size()), t, scheduler.sigmaAt(t)};
    model.unet->setStepInfo(info);
    at::Tensor in = scheduler.scaleModelInput(cfg ? at::cat({x, x}, 0) : x, t);
    at::Tensor eps = model.unet->forward(in.to(model.dtype), t, ctx).to(at::kFloat);
    if (cfg) {
      auto parts = eps.chunk(2, 0);
      eps = parts[0] + req.cfg_scale * (parts[1] - parts[0]);
      if (req.guidance_rescale > 0) {
        std::vector<int64_t> dims;
        for (int64_t d = 1; d < eps.dim(); ++d) dims.push_back(d);
        const at::Tensor std_text = parts[1].std(dims, /*unbiased=*/true, /*keepdim=*/true);
        const at::Tensor std_cfg = eps.std(dims, /*unbiased=*/true, /*keepdim=*/true);
        eps = req.guidance_rescale * (eps * (std_text / std_cfg)) + (1 - req.guidance_rescale) * eps;
      }
    }
    StepOutput out = scheduler.step(eps, t, x);
    x = out.prev_sample;
    if (callback && !callback(info, x, out.pred_original)) {
      model.unet->setStepInfo(StepInfo{-1, 0, 0, 0});
      return Status::Cancelled("txt2img cancelled at step " + std::to_string(i + 1));
    }
  }
  model.unet->setStepInfo(StepInfo{-1, 0, 0, 0});
  Txt2ImgResult r;
  r.latents = x.to(at::kCPU, at::kFloat);
  r.timesteps = ts;
  if (req.decode) r.image = decodeLatents(model, x);
  return r;
}

}  // namespace atelier::sd
