// EditModel over atelier_sd's SdModel (model_folder.h): CLIP text, UNet with a per-call hook, VAE, schedulers.
#include <ATen/ATen.h>

#include <filesystem>

#include "edit/sd_adapter.h"
#include "edit/sampler_adapter.h"
#include "sd/model_folder.h"
#include "sd/txt2img.h"

namespace atelier::edit {
namespace {

class SdEditModel : public EditModel {
 public:
  explicit SdEditModel(std::shared_ptr<sd::SdModel> m) : m_(std::move(m)) {}
  c10::Device device() const override { return m_->device; }
  c10::ScalarType dtype() const override { return m_->dtype; }
  std::string modelName() const override { return m_->name; }
  std::string defaultSampler() const override { return sd::samplerName(m_->defaultSampler()); }
  int64_t defaultSize() const override { return m_->sample_size * m_->vae_scale_factor; }
  int64_t vaeScaleFactor() const override { return m_->vae_scale_factor; }
  std::vector<int64_t> encodeTokens(const std::string& text) const override { return m_->tokenizer.encode(text); }

  Result<at::Tensor> encodeText(const std::vector<std::string>& prompts) override {
    // prompts → [B,77,C] fp32
    if (!m_->text_encoder) { return Status::InvalidArgument(m_->path + ": text encoder not loaded"); }
    return sd::encodePrompts(*m_, prompts).to(at::kFloat);
  }

  at::Tensor unet(const at::Tensor& x, double t, const at::Tensor& ctx, sd::AttentionHook* hook,
                  const sd::StepInfo& step) override {
    // x: [B,4,h,w] scaled latents; ctx: [B,L,C] → [B,4,h,w] fp32
    struct Reset {   // never leave a borrowed hook installed
      sd::UNet2DConditionModel& u;
      ~Reset() { u->setAttentionHook(nullptr); }
    } reset{m_->unet};
    if (hook) { m_->unet->setAttentionHook(std::shared_ptr<sd::AttentionHook>(hook, [](sd::AttentionHook*) {})); }
    m_->unet->setStepInfo(step);
    return m_->unet->forward(x.to(m_->dtype), t, ctx.to(m_->dtype)).to(at::kFloat);
  }

  Result<at::Tensor> encodeImage(const at::Tensor& image) override {
    // image: [1,3,H,W] in [0,1] → mean·scaling [1,4,H/8,W/8] fp32
    if (!m_->vae) { return Status::InvalidArgument(m_->path + ": VAE not loaded"); }
    at::Tensor x = (image.to(m_->device, m_->vae_dtype) * 2 - 1);
    return m_->vae->encode(x).first.to(at::kFloat) * m_->vae_scaling_factor;
  }

  Result<at::Tensor> decodeLatents(const at::Tensor& z) override {
    // z: [B,4,h,w] → [B,3,8h,8w] in [0,1] CPU fp32
    if (!m_->vae) { return Status::InvalidArgument(m_->path + ": VAE not loaded"); }
    return sd::decodeLatents(*m_, z);
  }

  Result<std::unique_ptr<Sampler>> makeSampler(const std::string& name, int steps) override {
    sd::SamplerKind kind = m_->defaultSampler();
    if (!name.empty() && name != "default") {
      ATELIER_ASSIGN_OR_RETURN(kind, sd::parseSampler(name));
    }
    return makeSdSampler(kind, m_->scheduler_json, steps, m_->path + "/scheduler");
  }

  at::Tensor noise(int64_t seed, int64_t h, int64_t w) const override {
    return sd::seededNoise(seed, {1, 4, h, w}).to(m_->device);
  }

 private:
  std::shared_ptr<sd::SdModel> m_;
};

}  // namespace

Result<std::shared_ptr<EditModel>> loadEditModel(const std::string& path, const c10::Device& device,
                                                 c10::ScalarType dtype) {
  sd::SdLoadOptions o;
  o.device = device;
  o.dtype = dtype;
  ATELIER_ASSIGN_OR_RETURN(auto m, sd::loadSdModel(path, o));
  if (!m->unet || !m->vae || !m->text_encoder) {
    return Status::InvalidArgument(path + ": editing needs the UNet, VAE and text encoder");
  }
  return wrapSdModel(std::move(m));
}

std::shared_ptr<EditModel> wrapSdModel(std::shared_ptr<sd::SdModel> m) {
  return std::make_shared<SdEditModel>(std::move(m));
}

}  // namespace atelier::edit
