// MasaCtrl mutual self-attention control (editing-methods.md A6; TencentARC/MasaCtrl masactrl.py): batch
// [uncond: src, tgt | cond: src, tgt]; at self-attention of transformer blocks ≥ start_layer and steps
// ≥ start_step the target's queries attend to the source's K and V (each CFG half separately).
#pragma once

#include "edit/common.h"
#include "sd/attention_hook.h"

namespace atelier::edit {

class MasaCtrlHook : public sd::AttentionHook {
 public:
  MasaCtrlHook(int start_step, int start_layer, bool cfg) : start_step_(start_step), start_layer_(start_layer), cfg_(cfg) {}
  bool wants(const sd::AttnSite& site, const sd::StepInfo& step) const override;
  void onQKV(const sd::AttnSite& site, const sd::StepInfo& step, at::Tensor& q, at::Tensor& k, at::Tensor& v) override;

 private:
  int start_step_, start_layer_;
  bool cfg_;
};

struct MasaCtrlOptions {
  CommonOptions common;          // common.prompt = target prompt
  std::string source_prompt;     // describes the input image ("" is fine)
  int start_step = 4;            // first step with K/V sharing (MasaCtrl: 4 of 50)
  int start_layer = 10;          // first transformer block index (MasaCtrl: 10 of 16 = up_blocks.2/3)
};

// image may be undefined (generation mode: both branches from the seed's noise); with an image the source is
// DDIM-inverted (guidance 1) and both branches start from z_T.
Result<EditOutput> runMasaCtrl(EditModel& model, const at::Tensor& image, const MasaCtrlOptions& opt,
                               const RunContext* run = nullptr);

}  // namespace atelier::edit
