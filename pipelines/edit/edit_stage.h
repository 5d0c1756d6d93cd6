// Base of the editing stages (edit.sdedit.v1, edit.p2p.v1, edit.inpaint.v1, edit.masactrl.v1,
// edit.compose.v1): common ParamSpecs (model, prompts, sampler, steps, guidance, seed, device policy from the
// RunContext), cached model loading, output packet with A1111-style "parameters" text.
// Packet in: tensors "image" [1,3,H,W] in [0,1] (and "mask" for inpaint; "region<i>.image" for compose);
// text "prompt"/"negative_prompt"/"source_prompt" override the params when non-empty.
// Packet out: tensors "image", "latents" (+ "source_image"), text "parameters", "sampler".
// Thread-safety: runner thread only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "atelier/stage.h"
#include "edit/common.h"

namespace atelier::edit {

class EditStage : public Stage {
 public:
  std::vector<ParamSpec> params() const override;
  Status configure(const ParamSet& values) override;
  Result<Packet> process(const Packet& in, RunContext& ctx) override;

 protected:
  virtual std::string method() const = 0;                          // "sdedit", "p2p", …
  virtual std::vector<ParamSpec> methodParams() const = 0;
  // Runs the method; `p` holds resolved values (defaults filled).
  virtual Result<EditOutput> run(EditModel& model, const Packet& in, const ParamSet& p, RunContext& ctx) = 0;
  // Method-specific "Key: value" pairs appended to the parameters text.
  virtual std::string extraInfo(const ParamSet& p) const { return ""; }
  static CommonOptions common(const ParamSet& p, const Packet& in);
  static std::string text(const ParamSet& p, const Packet& in, const std::string& id);   // packet text over param

 private:
  Result<std::shared_ptr<EditModel>> model(const std::string& path, RunContext& ctx);
  ParamSet values_;
  std::shared_ptr<EditModel> model_;
  std::string model_key_;
};

// A1111 "parameters" text: prompt, negative, steps, sampler, CFG, seed, size, model, then `extra`.
std::string parametersText(const CommonOptions& c, const std::string& sampler, int64_t width, int64_t height,
                           const std::string& model_name, const std::string& extra);

}  // namespace atelier::edit
