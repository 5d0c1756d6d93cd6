// CTTA stage: model loading, optional corruption injection, sliding window for batch-1 streams.
#include "ctta/stage.h"

#include <torch/torch.h>

#include <chrono>
#include <deque>

#include "ctta/classifier.h"
#include "ctta/corruptions.h"
#include "ctta/dataset.h"
#include "ctta/method.h"

namespace atelier::ctta {
namespace {
class CttaStage : public Stage {
 public:
  explicit CttaStage(std::string method) : method_(std::move(method)), id_("ctta." + method_ + ".v1") {}
  std::string_view id() const override { return id_; }
  std::string_view label() const override { return label_ = "CTTA: " + method_; }
  std::vector<ParamSpec> params() const override {
    std::vector<ParamSpec> s = {
        ParamSpec::Path("model", "Model", cttaAssetsDir() + "/wrn16_4_cifar10.safetensors",
                        "safetensors or TorchScript .pt (torch.jit.script for adaptation), JSON next to it"),
        ParamSpec::Int("window", "Sliding window", 1, 1, 512, "batch-1 streams: adapt every W frames on the last W"),
        ParamSpec::Text("inject", "Inject corruption", "", "name:severity, e.g. fog:3 (empty: none)"),
        ParamSpec::Path("frost_dir", "Frost images", cttaAssetsDir() + "/frost", "for frost injection")};
    for (auto& p : methodParams(method_)) s.push_back(p);
    return s;
  }
  Status configure(const ParamSet& v) override {
    const std::string model = getString(v, "model", "");
    ParamSet mp;
    for (auto& spec : methodParams(method_))
      if (auto it = v.find(spec.id); it != v.end()) mp[spec.id] = it->second;
    if (!source_ || model != model_path_) {
      ATELIER_ASSIGN_OR_RETURN(auto loaded, loadClassifier(model));
      // e.g. a traced TorchScript module: refuse adaptation here rather than at the first frame
      if (Status a = loaded->netPtr()->checkAdaptable(); method_ != "source" && !a.ok()) return a.withContext(id_);
      source_ = loaded;
      model_path_ = model;
      method_obj_.reset();
    }
    if (!method_obj_ || mp != method_params_) method_obj_.reset();
    method_params_ = mp;
    window_ = getInt(v, "window", 1);
    inject_.clear();
    const std::string inj = getString(v, "inject", "");
    if (!inj.empty()) {
      auto colon = inj.find(':');
      ATELIER_ASSIGN_OR_RETURN(corruption_, parseCorruption(inj.substr(0, colon)));
      severity_ = colon == std::string::npos ? 3 : std::atoi(inj.c_str() + colon + 1);
      if (severity_ < 1 || severity_ > 5) return Status::InvalidArgument("inject: severity must be 1..5 (" + inj + ")");
      if (corruption_ == Corruption::kFrost) {
        const auto set = source_->spec().input_size >= 128 ? CorruptionSet::kImageNet224 : CorruptionSet::kCifar32;
        ATELIER_ASSIGN_OR_RETURN(frost_, loadFrostBank(getString(v, "frost_dir", ""), set));
      }
      inject_ = inj;
    }
    return Status::Ok();
  }
  Result<Packet> process(const Packet& in, RunContext& ctx) override {
    auto it = in.tensors.find("image");
    if (it == in.tensors.end() || it->second.dim() != 4 || it->second.size(1) != 3)
      return Status::InvalidArgument(id_ + ": packet needs \"image\" [B,3,H,W]");
    if (!source_) return Status::InvalidArgument(id_ + ": not configured");
    if (!method_obj_ || device_ != ctx.device) {
      source_->to(ctx.device);
      device_ = ctx.device;
      ATELIER_ASSIGN_OR_RETURN(method_obj_, makeMethod(method_, *source_, method_params_, {}));
      window_buf_.clear();
      frame_ = 0;
    }
    const int64_t s = source_->spec().input_size;
    at::Tensor x = it->second.to(torch::kFloat).clamp(0, 1);
    if (x.size(2) != s || x.size(3) != s)
      x = torch::nn::functional::interpolate(
          x.cpu(), torch::nn::functional::InterpolateFuncOptions().size(std::vector<int64_t>{s, s}).mode(torch::kArea));
    if (!inject_.empty()) {
      at::Tensor u8 = x.cpu().mul(255).floor().clamp(0, 255).to(torch::kUInt8).permute({0, 2, 3, 1}).contiguous();
      at::Tensor idx = torch::arange(u8.size(0), torch::kLong) + in.index;
      const auto set = s >= 128 ? CorruptionSet::kImageNet224 : CorruptionSet::kCifar32;
      ATELIER_ASSIGN_OR_RETURN(at::Tensor c, corruptBatch(u8, idx, corruption_, severity_, set, 0, &frost_));
      x = toFloatNCHW(c);
    }
    x = x.to(ctx.device);
    auto t0 = std::chrono::steady_clock::now();
    at::Tensor y;
    if (window_ <= 1) {
      ATELIER_ASSIGN_OR_RETURN(y, method_obj_->forwardAndAdapt(x));
    } else {   // ring of the last W frames; adapt when it has been refilled, else predict on the whole window
      for (int64_t b = 0; b < x.size(0); ++b) {
        window_buf_.push_back(x.slice(0, b, b + 1));
        if (int64_t(window_buf_.size()) > window_) window_buf_.pop_front();
      }
      at::Tensor w = torch::cat(std::vector<at::Tensor>(window_buf_.begin(), window_buf_.end()));
      frame_ += x.size(0);
      Result<at::Tensor> r = (frame_ % window_ == 0 && int64_t(window_buf_.size()) == window_)
                                 ? method_obj_->forwardAndAdapt(w) : method_obj_->predict(w);
      ATELIER_RETURN_IF_ERROR(r.status());
      y = r.value().slice(0, w.size(0) - x.size(0));
    }
    Packet out;
    out.index = in.index;
    out.pts_ns = in.pts_ns;
    y = y.detach().to(torch::kCPU);
    at::Tensor p = y.softmax(1);
    out.tensors["logits"] = y;
    out.tensors["probs"] = p;
    out.tensors["image"] = x.cpu();
    out.scalars["latency_ms"] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    const int64_t pred = y[0].argmax().item<int64_t>();
    out.scalars["pred"] = double(pred);
    out.scalars["confidence"] = p[0][pred].item<double>();
    out.scalars["entropy"] = -(p * y.log_softmax(1)).sum(1).mean().item<double>();
    const auto& cls = source_->spec().classes;
    out.text["label"] = pred < int64_t(cls.size()) ? cls[pred] : "class " + std::to_string(pred);
    const std::string note = method_obj_->note();   // e.g. EATA without source images: no Fisher term
    out.text["method"] = note.empty() ? method_ : method_ + " (" + note + ")";
    if (auto lt = in.tensors.find("labels"); lt != in.tensors.end())
      out.scalars["error"] = y.argmax(1).ne(lt->second.cpu()).to(torch::kDouble).mean().item<double>();
    return out;
  }

 private:
  std::string method_, id_;
  mutable std::string label_;
  std::string model_path_, inject_;
  std::shared_ptr<Classifier> source_;
  std::unique_ptr<CttaMethod> method_obj_;
  ParamSet method_params_;
  c10::Device device_ = c10::Device(c10::kCPU);
  int64_t window_ = 1, frame_ = 0;
  Corruption corruption_ = Corruption::kFog;
  int severity_ = 3;
  FrostBank frost_;
  std::deque<at::Tensor> window_buf_;
};
}  // namespace

std::unique_ptr<Stage> makeCttaStage(const std::string& method) {
  for (auto& m : methodNames())
    if (m == method) return std::make_unique<CttaStage>(method);
  return nullptr;
}

}  // namespace atelier::ctta

namespace atelier {
void registerCttaStages() {
  for (const auto& m : ctta::methodNames())
    StageRegistry::global().add("ctta." + m + ".v1", "CTTA: " + m, [m] { return ctta::makeCttaStage(m); });
}
}  // namespace atelier
