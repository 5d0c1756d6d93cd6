#include "edit/common.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

namespace atelier::edit {

at::Tensor latentMask(const at::Tensor& mask, int64_t h, int64_t w) {
  // mask: [1,C,H,W] in [0,1] → [1,1,h,w] in {0,1}
  at::Tensor m = mask.to(at::kFloat);
  if (m.dim() == 3) { m = m.unsqueeze(0); }
  m = m.narrow(1, 0, 1);
  m = at::upsample_nearest2d(m, {h, w});
  return (m > 0.5).to(at::kFloat);
}

Status checkImage(const at::Tensor& image, const std::string& what) {
  if (!image.defined()) { return Status::InvalidArgument(what + ": missing"); }
  if (image.dim() != 4 || image.size(0) != 1 || image.size(1) != 3) {
    return Status::InvalidArgument(what + ": expected [1,3,H,W], got " + std::to_string(image.dim()) + "-d tensor");
  }
  if (image.size(2) % 8 != 0 || image.size(3) % 8 != 0 || image.size(2) == 0 || image.size(3) == 0) {
    return Status::InvalidArgument(what + ": size " + std::to_string(image.size(3)) + "x" +
                                   std::to_string(image.size(2)) + " is not a positive multiple of 8");
  }
  return Status::Ok();
}

Result<at::Tensor> encodeOne(EditModel& model, const std::string& prompt) {
  auto r = model.encodeText({prompt});
  if (!r.ok()) { return r.status().withContext("prompt \"" + prompt + "\""); }
  return r.value();
}

Result<at::Tensor> decodeOne(EditModel& model, const at::Tensor& latents) {
  return model.decodeLatents(latents);
}

at::Tensor seededNoise(int64_t seed, const at::Tensor& like) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(seed));
  at::Tensor n = at::randn(like.sizes(), gen, at::TensorOptions().dtype(at::kFloat));
  return n.to(like.device(), like.scalar_type());
}

Result<EditOutput> sourceTargetOutput(EditModel& model, const std::string& sampler, const at::Tensor& start,
                                      const at::Tensor& latents) {
  EditOutput out;
  out.sampler = sampler;
  out.start_latents = start;
  out.source_latents = latents.narrow(0, 0, 1);
  out.latents = latents.narrow(0, 1, 1);
  ATELIER_ASSIGN_OR_RETURN(out.image, model.decodeLatents(out.latents));
  ATELIER_ASSIGN_OR_RETURN(out.source_image, model.decodeLatents(out.source_latents));
  return out;
}

}  // namespace atelier::edit
