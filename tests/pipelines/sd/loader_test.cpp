// Unit tests for model loading: LDM key conversion (SD1 and SD2/OpenCLIP incl. in_proj split), pickle
// rejection and malformed-folder errors naming the file.
#include "support/fs_util.h"
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "atelier/module_io.h"
#include "sd/clip_text.h"
#include "sd/loader_keymap.h"
#include "sd/model_folder.h"
#include "sd/nn_util.h"
#include "sd/txt2img.h"
#include "single_file_util.h"
#include "support/numeric.h"

namespace atelier::sd {
namespace {
namespace fs = std::filesystem;

at::Tensor z(std::vector<int64_t> shape) { return at::zeros(shape); }

TEST(LdmKeymap, UnetVaeAndSd1Text) {
  TensorMap ldm;
  const std::string u = "model.diffusion_model.";
  ldm[u + "time_embed.0.weight"] = z({8, 4});
  ldm[u + "input_blocks.0.0.weight"] = z({4, 9, 3, 3});
  ldm[u + "input_blocks.1.0.in_layers.0.weight"] = z({4});
  ldm[u + "input_blocks.2.1.proj_in.weight"] = z({4, 4, 1, 1});
  ldm[u + "input_blocks.3.0.op.weight"] = z({4, 4, 3, 3});
  ldm[u + "input_blocks.4.0.skip_connection.weight"] = z({8, 4, 1, 1});
  ldm[u + "middle_block.1.transformer_blocks.0.attn1.to_q.weight"] = z({4, 4});
  ldm[u + "middle_block.2.out_layers.3.weight"] = z({4, 4, 3, 3});
  ldm[u + "output_blocks.2.1.conv.weight"] = z({4, 4, 3, 3});
  ldm[u + "output_blocks.5.2.conv.bias"] = z({4});
  ldm[u + "output_blocks.4.1.norm.weight"] = z({4});
  ldm[u + "output_blocks.3.0.emb_layers.1.weight"] = z({4, 8});
  ldm[u + "out.2.bias"] = z({4});
  const std::string v = "first_stage_model.";
  for (int i = 0; i < 4; ++i) ldm[v + "decoder.up." + std::to_string(i) + ".block.0.conv1.weight"] = z({2, 2, 3, 3});
  ldm[v + "decoder.up.0.block.0.nin_shortcut.weight"] = z({2, 2, 1, 1});
  ldm[v + "decoder.up.3.upsample.conv.weight"] = z({2, 2, 3, 3});
  ldm[v + "encoder.down.0.downsample.conv.weight"] = z({2, 2, 3, 3});
  ldm[v + "encoder.mid.attn_1.q.weight"] = z({2, 2, 1, 1});
  ldm[v + "encoder.mid.attn_1.norm.weight"] = z({2});
  ldm[v + "encoder.norm_out.bias"] = z({2});
  ldm[v + "post_quant_conv.weight"] = z({4, 4, 1, 1});
  ldm["cond_stage_model.transformer.text_model.encoder.layers.0.mlp.fc1.weight"] = z({8, 4});
  ldm["cond_stage_model.transformer.text_model.embeddings.position_ids"] = z({1, 77});
  ldm["model_ema.decay"] = z({});
  auto r = convertLdmCheckpoint(ldm, "tiny.safetensors");
  ASSERT_TRUE(r.ok()) << r.status().toString();
  const auto& c = r.value();
  std::vector<std::string> unet_keys;
  for (const auto& [k, t] : c.unet) unet_keys.push_back(k);
  EXPECT_EQ(unet_keys, (std::vector<std::string>{
                           "conv_in.weight", "conv_out.bias", "down_blocks.0.attentions.1.proj_in.weight",
                           "down_blocks.0.downsamplers.0.conv.weight", "down_blocks.0.resnets.0.norm1.weight",
                           "down_blocks.1.resnets.0.conv_shortcut.weight",
                           "mid_block.attentions.0.transformer_blocks.0.attn1.to_q.weight",
                           "mid_block.resnets.1.conv2.weight", "time_embedding.linear_1.weight",
                           "up_blocks.0.upsamplers.0.conv.weight", "up_blocks.1.attentions.1.norm.weight",
                           "up_blocks.1.resnets.0.time_emb_proj.weight", "up_blocks.1.upsamplers.0.conv.bias"}));
  EXPECT_EQ(c.unet_in_channels, 9);
  EXPECT_TRUE(c.vae.count("decoder.up_blocks.3.resnets.0.conv_shortcut.weight"));   // up.0 is the last level
  EXPECT_TRUE(c.vae.count("decoder.up_blocks.0.upsamplers.0.conv.weight"));
  EXPECT_TRUE(c.vae.count("encoder.down_blocks.0.downsamplers.0.conv.weight"));
  EXPECT_TRUE(c.vae.count("encoder.mid_block.attentions.0.group_norm.weight"));
  EXPECT_TRUE(c.vae.count("encoder.conv_norm_out.bias"));
  EXPECT_TRUE(c.vae.count("post_quant_conv.weight"));
  EXPECT_EQ(c.vae.at("encoder.mid_block.attentions.0.to_q.weight").sizes(), (std::vector<int64_t>{2, 2}));
  EXPECT_TRUE(c.text.count("encoder.layers.0.mlp.fc1.weight"));
  EXPECT_FALSE(c.sd2_text);
  EXPECT_EQ(c.text.size(), 1u);   // position_ids dropped
  EXPECT_FALSE(convertLdmCheckpoint({{"foo", z({1})}}, "x.safetensors").ok());
}

// SD2: an OpenCLIP state dict made from a tiny CLIPTextModel (q/k/v fused into in_proj, one extra final block)
// converts back to the same model, outputs included.
TEST(LdmKeymap, OpenClipTextRoundTrip) {
  ClipTextConfig cfg;
  cfg.vocab_size = 50;
  cfg.hidden_size = 8;
  cfg.intermediate_size = 16;
  cfg.num_heads = 2;
  cfg.num_layers = 2;
  cfg.max_positions = 77;
  cfg.hidden_act = "gelu";
  at::manual_seed(3);
  ClipTextModel ref(cfg);
  const std::string p = "cond_stage_model.model.";
  TensorMap ldm;
  ldm[p + "token_embedding.weight"] = ref->embeddings->token_embedding->weight.detach();
  ldm[p + "positional_embedding"] = ref->embeddings->position_embedding->weight.detach();
  ldm[p + "ln_final.weight"] = ref->final_layer_norm->weight.detach();
  ldm[p + "ln_final.bias"] = ref->final_layer_norm->bias.detach();
  ldm[p + "text_projection"] = z({8, 8});
  for (int64_t i = 0; i <= cfg.num_layers; ++i) {   // resblocks.2 is the dropped last block
    const int64_t src = std::min<int64_t>(i, cfg.num_layers - 1);
    auto* l = ref->encoder->layers[src]->as<ClipEncoderLayerImpl>();
    const std::string b = p + "transformer.resblocks." + std::to_string(i) + ".";
    auto* a = l->self_attn.get();
    ldm[b + "attn.in_proj_weight"] = at::cat({a->q_proj->weight, a->k_proj->weight, a->v_proj->weight}).detach();
    ldm[b + "attn.in_proj_bias"] = at::cat({a->q_proj->bias, a->k_proj->bias, a->v_proj->bias}).detach();
    ldm[b + "attn.out_proj.weight"] = a->out_proj->weight.detach();
    ldm[b + "attn.out_proj.bias"] = a->out_proj->bias.detach();
    ldm[b + "ln_1.weight"] = l->layer_norm1->weight.detach();
    ldm[b + "ln_1.bias"] = l->layer_norm1->bias.detach();
    ldm[b + "ln_2.weight"] = l->layer_norm2->weight.detach();
    ldm[b + "ln_2.bias"] = l->layer_norm2->bias.detach();
    ldm[b + "mlp.c_fc.weight"] = l->mlp->fc1->weight.detach();
    ldm[b + "mlp.c_fc.bias"] = l->mlp->fc1->bias.detach();
    ldm[b + "mlp.c_proj.weight"] = l->mlp->fc2->weight.detach();
    ldm[b + "mlp.c_proj.bias"] = l->mlp->fc2->bias.detach();
  }
  ldm["model.diffusion_model.out.2.bias"] = z({4});
  // Without a text config the layer count follows diffusers (min(resblocks, 23)): all 3 blocks here.
  auto inferred = convertLdmCheckpoint(ldm, "sd2.safetensors");
  ASSERT_TRUE(inferred.ok()) << inferred.status().toString();
  EXPECT_EQ(inferred->text_layers, 3);
  EXPECT_EQ(inferred->text.count("encoder.layers.2.self_attn.q_proj.weight"), 1u);
  auto r = convertLdmCheckpoint(ldm, "sd2.safetensors", 2, cfg.num_layers);   // the config's num_hidden_layers
  ASSERT_TRUE(r.ok()) << r.status().toString();
  EXPECT_TRUE(r->sd2_text);
  EXPECT_EQ(r->text_layers, 2);
  EXPECT_EQ(r->text.count("encoder.layers.2.self_attn.q_proj.weight"), 0u);
  at::manual_seed(4);
  ClipTextModel loaded(cfg);
  LoadWeightsOptions opt;
  opt.ignore_prefixes = {"text_projection"};
  const Status st = loadModuleWeights(*loaded, r->text, opt);
  ASSERT_TRUE(st.ok()) << st.toString();
  at::NoGradGuard ng;
  const at::Tensor ids = at::randint(0, 50, {2, 77}, at::kLong);
  EXPECT_TRUE(test::AllClose(loaded->forward(ids), ref->forward(ids), 0, 1e-6));
  EXPECT_TRUE(test::AllClose(loaded->hiddenState(ids, 2, true), ref->hiddenState(ids, 2, true), 0, 1e-6));
}

class TempDir {
 public:
  TempDir() : path_(fs::temp_directory_path() / ("atelier_sd_test_" + std::to_string(::getpid()) + "_" +
                                                 std::to_string(counter_++))) {
    fs::create_directories(path_);
  }
  ~TempDir() { atelier::test::removeTree(path_.string()); }
  std::string path() const { return path_.string(); }
  void write(const std::string& rel, const std::string& text) const {
    fs::create_directories((path_ / rel).parent_path());
    std::ofstream(path_ / rel) << text;
  }
 private:
  static inline int counter_ = 0;
  fs::path path_;
};

TEST(ModelLoading, RejectsPickleCheckpoints) {
  TempDir d;
  d.write("model.ckpt", "not a pickle");
  auto r = loadSdModel(d.path() + "/model.ckpt");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(r.status().message().find("model.ckpt"), std::string::npos);
  EXPECT_NE(r.status().message().find(".safetensors"), std::string::npos);
  EXPECT_FALSE(checkCheckpointExtension("x.PT").ok());
  EXPECT_TRUE(checkCheckpointExtension("x.safetensors").ok());
}

TEST(ModelLoading, MalformedFolderErrorsNameTheFile) {
  TempDir d;
  auto msg = [&] { auto r = loadSdModel(d.path()); return r.ok() ? std::string("ok") : r.status().message(); };
  EXPECT_NE(msg().find("model_index.json"), std::string::npos);
  d.write("model_index.json", "{\"unet\": [\"diffusers\", ");
  EXPECT_NE(msg().find("model_index.json: invalid JSON"), std::string::npos);
  d.write("model_index.json", R"({"unet": 1, "vae": 1, "text_encoder": 1, "tokenizer": 1})");
  EXPECT_NE(msg().find("scheduler"), std::string::npos);
  d.write("model_index.json", R"({"unet": 1, "vae": 1, "text_encoder": 1, "tokenizer": 1, "scheduler": 1})");
  EXPECT_NE(msg().find("tokenizer/vocab.json"), std::string::npos);
  d.write("tokenizer/vocab.json", R"({"!": 0, "<|startoftext|>": 1, "<|endoftext|>": 2})");
  d.write("tokenizer/merges.txt", "#version: 0.2\n");
  EXPECT_NE(msg().find("scheduler/scheduler_config.json"), std::string::npos);
  d.write("scheduler/scheduler_config.json", R"({"_class_name": "PNDMScheduler"})");
  EXPECT_NE(msg().find("unet/config.json"), std::string::npos);
  d.write("unet/config.json", R"({"block_out_channels": [32, 64], "down_block_types": ["CrossAttnDownBlock2D",
      "DownBlock2D"], "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"], "attention_head_dim": 8,
      "cross_attention_dim": 32, "norm_num_groups": 8, "layers_per_block": 1, "sample_size": 8})");
  d.write("unet/diffusion_pytorch_model.bin", "pickle");
  EXPECT_NE(msg().find("unet/diffusion_pytorch_model.bin"), std::string::npos);
  EXPECT_NE(msg().find(".safetensors"), std::string::npos);
  fs::remove(d.path() + "/unet/diffusion_pytorch_model.bin");
  d.write("unet/diffusion_pytorch_model.safetensors", "garbage");
  EXPECT_NE(msg().find("unet/diffusion_pytorch_model.safetensors"), std::string::npos);
  EXPECT_NE(loadSdModel(d.path() + "/missing").status().message().find("missing"), std::string::npos);
}

// SD 2.x tokenizer folders name "<|endoftext|>" in tokenizer_config.json but "!" in special_tokens_map.json;
// transformers pads with the latter.
TEST(ModelLoading, PadTokenFromSpecialTokensMapWins) {
  TempDir d;
  d.write("vocab.json", R"({"!": 0, "a</w>": 1, "<|startoftext|>": 49406, "<|endoftext|>": 49407})");
  d.write("merges.txt", "#version: 0.2\n");
  d.write("tokenizer_config.json", R"({"pad_token": "<|endoftext|>", "model_max_length": 77})");
  auto only_cfg = ClipTokenizer::fromFolder(d.path());
  ASSERT_TRUE(only_cfg.ok()) << only_cfg.status().toString();
  EXPECT_EQ(only_cfg->padId(), ClipTokenizer::kEosId);
  d.write("special_tokens_map.json", R"({"pad_token": {"content": "!", "lstrip": false}})");
  auto both = ClipTokenizer::fromFolder(d.path());
  ASSERT_TRUE(both.ok()) << both.status().toString();
  EXPECT_EQ(both->padId(), 0);
  EXPECT_EQ(both->tokenize("a")[3], 0);
}

// A scaled-down SD 2.x-structured diffusers folder: linear projections, per-block head counts
// ("attention_head_dim" list = head COUNT), upcast attention, gelu text encoder with its own layer count, "!"
// padding from special_tokens_map.json, a 2-block VAE (scale factor 2) and a v-prediction trailing DDIM.
TEST(ModelLoading, Sd2StructuredFolderLoadsAndSamples) {
  TempDir d;
  d.write("model_index.json", R"({"unet": 1, "vae": 1, "text_encoder": 1, "tokenizer": 1, "scheduler": 1})");
  d.write("tokenizer/vocab.json", R"({"!": 0, "a</w>": 1, "<|startoftext|>": 49406, "<|endoftext|>": 49407})");
  d.write("tokenizer/merges.txt", "#version: 0.2\n");
  d.write("tokenizer/tokenizer_config.json", R"({"pad_token": "<|endoftext|>", "model_max_length": 77})");
  d.write("tokenizer/special_tokens_map.json", R"({"pad_token": "!"})");
  d.write("scheduler/scheduler_config.json", R"({"_class_name": "DDIMScheduler", "prediction_type": "v_prediction",
      "timestep_spacing": "trailing", "beta_schedule": "scaled_linear", "beta_start": 0.00085, "beta_end": 0.012,
      "set_alpha_to_one": false, "steps_offset": 1, "clip_sample": false})");
  d.write("unet/config.json", R"({"_class_name": "UNet2DConditionModel", "block_out_channels": [32, 64],
      "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"], "up_block_types": ["UpBlock2D",
      "CrossAttnUpBlock2D"], "attention_head_dim": [2, 4], "use_linear_projection": true, "upcast_attention": true,
      "cross_attention_dim": 24, "norm_num_groups": 8, "layers_per_block": 1, "sample_size": 8})");
  d.write("vae/config.json", R"({"_class_name": "AutoencoderKL", "block_out_channels": [16, 32],
      "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D"], "up_block_types": ["UpDecoderBlock2D",
      "UpDecoderBlock2D"], "layers_per_block": 1, "norm_num_groups": 8, "latent_channels": 4, "sample_size": 16})");
  d.write("text_encoder/config.json", R"({"hidden_size": 24, "intermediate_size": 48, "num_attention_heads": 2,
      "num_hidden_layers": 2, "hidden_act": "gelu", "vocab_size": 49408, "max_position_embeddings": 77})");
  auto ucfg = UNetConfig::fromFile(d.path() + "/unet/config.json");
  auto vcfg = VaeConfig::fromFile(d.path() + "/vae/config.json");
  auto tcfg = ClipTextConfig::fromJsonText(R"({"hidden_size": 24, "intermediate_size": 48, "num_attention_heads": 2,
      "num_hidden_layers": 2, "hidden_act": "gelu"})", "text");
  ASSERT_TRUE(ucfg.ok() && vcfg.ok() && tcfg.ok());
  at::manual_seed(0);
  UNet2DConditionModel unet(ucfg.value());
  AutoencoderKL vae(vcfg.value());
  ClipTextModel text(tcfg.value());
  ASSERT_TRUE(saveSafetensors(d.path() + "/unet/diffusion_pytorch_model.safetensors", moduleWeights(*unet)).ok());
  ASSERT_TRUE(saveSafetensors(d.path() + "/vae/diffusion_pytorch_model.safetensors", moduleWeights(*vae)).ok());
  ASSERT_TRUE(saveSafetensors(d.path() + "/text_encoder/model.safetensors", moduleWeights(*text)).ok());

  auto m = loadSdModel(d.path());
  ASSERT_TRUE(m.ok()) << m.status().toString();
  const SdModel& model = *m.value();
  EXPECT_TRUE(model.unet->config().use_linear_projection);
  EXPECT_TRUE(model.unet->config().upcast_attention);
  EXPECT_EQ(model.unet->config().num_heads, (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(model.text_encoder->encoder->layers->size(), 2u);
  EXPECT_EQ(model.tokenizer.padId(), 0);
  EXPECT_EQ(model.vae_scale_factor, 2);
  auto sched = model.makeScheduler(model.defaultSampler());
  ASSERT_TRUE(sched.ok()) << sched.status().toString();
  EXPECT_EQ((*sched)->config().prediction_type, "v_prediction");
  (*sched)->setTimesteps(4);
  EXPECT_EQ((*sched)->timesteps(), (std::vector<double>{999, 749, 499, 249}));
  Txt2ImgRequest req;
  req.prompt = "a";
  req.steps = 2;
  auto r = txt2img(*m.value(), **sched, req);
  ASSERT_TRUE(r.ok()) << r.status().toString();
  EXPECT_EQ(r->latents.sizes(), at::IntArrayRef({1, 4, 8, 8}));    // diffusers: H // vae_scale_factor
  EXPECT_EQ(r->image.sizes(), at::IntArrayRef({1, 3, 16, 16}));    // default: sample_size × vae_scale_factor
  EXPECT_TRUE(at::isfinite(r->latents).all().item<bool>());

  // The same folder as one LDM file (scripts/diffusers_to_ldm.py merges OpenCLIP q/k/v into in_proj; the loader
  // splits them again and keeps the config's layer count): bit-identical weights.
  if (!test::havePython3()) GTEST_SKIP() << "python3 not found; skipping the SD 2.x single-file round trip";
  const std::string file = d.path() + "/sd2.safetensors";
  ASSERT_EQ(test::convertToSingleFile(d.path(), file), "");
  auto ldm = loadSafetensors(file);
  ASSERT_TRUE(ldm.ok()) << ldm.status().toString();
  EXPECT_EQ(ldm->at("cond_stage_model.model.transformer.resblocks.1.attn.in_proj_weight").sizes(),
            at::IntArrayRef({72, 24}));
  EXPECT_EQ(ldm->at("first_stage_model.decoder.mid.attn_1.q.weight").sizes(), at::IntArrayRef({32, 32, 1, 1}));
  SdLoadOptions opt;
  opt.config_dir = d.path();
  auto single = loadSdModel(file, opt);
  ASSERT_TRUE(single.ok()) << single.status().toString();
  EXPECT_EQ(single.value()->tokenizer.padId(), 0);
  auto sched2 = (*single)->makeScheduler((*single)->defaultSampler());   // the config folder's scheduler
  ASSERT_TRUE(sched2.ok()) << sched2.status().toString();
  EXPECT_EQ((*sched2)->config().prediction_type, "v_prediction");
  EXPECT_EQ((*sched2)->config().timestep_spacing, "trailing");
  for (const auto& [a, b] : {std::make_pair(moduleWeights(*model.unet), moduleWeights(*(*single)->unet)),
                             std::make_pair(moduleWeights(*model.vae), moduleWeights(*(*single)->vae)),
                             std::make_pair(moduleWeights(*model.text_encoder), moduleWeights(*(*single)->text_encoder))}) {
    ASSERT_EQ(a.size(), b.size());
    for (const auto& [k, t] : a) EXPECT_TRUE(b.count(k) && at::equal(t, b.at(k))) << k;
  }
}

// Loaders build modules without random init (every parameter is then overwritten by the strict load); the
// placeholders must still have the real shapes and options. Outside the scope torch's init runs as usual.
TEST(ModelLoading, SkipInitFactoriesKeepShapesAndOptions) {
  {
    detail::SkipInitScope skip;
    auto l = detail::makeLinear(3, 5);
    EXPECT_EQ(l->weight.sizes(), at::IntArrayRef({5, 3}));
    EXPECT_EQ(l->bias.sizes(), at::IntArrayRef({5}));
    EXPECT_EQ(l->named_parameters()["weight"].data_ptr(), l->weight.data_ptr());
    EXPECT_EQ(l->options.in_features(), 3);
    auto c = detail::makeConv(4, 6, 3, 2, 1);
    EXPECT_EQ(c->weight.sizes(), at::IntArrayRef({6, 4, 3, 3}));
    EXPECT_EQ(c->options.out_channels(), 6);
    EXPECT_EQ(c->forward(at::zeros({1, 4, 8, 8})).sizes(), at::IntArrayRef({1, 6, 4, 4}));
    auto e = detail::makeEmbedding(7, 2);
    EXPECT_EQ(e->weight.sizes(), at::IntArrayRef({7, 2}));
    EXPECT_TRUE(e->weight.requires_grad());
  }
  at::manual_seed(1);
  auto a = detail::makeLinear(3, 5);
  at::manual_seed(2);
  auto b = detail::makeLinear(3, 5);
  EXPECT_FALSE(at::equal(a->weight, b->weight));
}

}  // namespace
}  // namespace atelier::sd
