// Demo steps for the SD engine and the editing methods. Each runs this executable's own subcommands
// (/proc/self/exe), so the demo exercises exactly what a user types. Needs a model folder: $ATELIER_SD_MODEL,
// else the tiny golden model in ../shared; without one the steps are skipped with instructions.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <ATen/ATen.h>

#include "cli/common.h"

#ifdef ATELIER_HAVE_IO
#include "atelier/io/image_io.h"
#endif

namespace atelier::cli {

namespace {
namespace fs = std::filesystem;

std::string sdModelDir() {
  if (const char* e = std::getenv("ATELIER_SD_MODEL")) { if (*e) return e; }
  std::string tiny = sharedDir() + "/golden/sd15-tiny";
  return fs::exists(tiny + "/model_index.json") ? tiny : "";
}

const char* kNoModel =
    "no Stable Diffusion model: set ATELIER_SD_MODEL to a diffusers folder (SD 1.x/2.x/Turbo) or a single-file "
    ".safetensors checkpoint, e.g. ATELIER_SD_MODEL=~/models/sd15 ./run.sh";

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) { out += c == '\'' ? std::string("'\\''") : std::string(1, c); }
  return out + "'";
}

// Runs `atelier-cli ARGS`; Internal error naming the command when it fails.
Status self(const std::string& args, nlohmann::json& rep, const std::string& output) {
  std::string cmd = quote(fs::read_symlink("/proc/self/exe").string()) + " " + args;
  int rc = std::system(cmd.c_str());
  rep["commands"].push_back(cmd);
  if (rc != 0) { return Status::Internal("command failed (" + std::to_string(rc) + "): " + cmd); }
  if (!output.empty() && !fs::exists(output)) { return Status::Internal("no output written: " + output); }
  if (!output.empty()) { rep["outputs"].push_back(output); }
  return Status::Ok();
}

#if defined(ATELIER_HAVE_IO) && defined(ATELIER_HAVE_EDIT)
// Writes a 128×128 crop of the sample photo and a centre mask for the editing steps.
Status prepareEditInputs(const DemoContext& c, std::string* photo, std::string* mask) {
  auto img = io::loadImage(assetsDir() + "/sample/astronaut.jpg");
  if (!img.ok()) { return img.status(); }
  at::Tensor small = at::upsample_bilinear2d(img.value(), {128, 128}, false);
  at::Tensor m = at::zeros({1, 1, 128, 128});
  m.slice(2, 32, 96).slice(3, 32, 96).fill_(1.0);
  *photo = c.out_dir + "/demo_photo128.png";
  *mask = c.out_dir + "/demo_mask128.png";
  ATELIER_RETURN_IF_ERROR(io::saveImage(*photo, small));
  return io::saveImage(*mask, m);
}
#endif
}  // namespace

void addSdDemoSteps() {
#ifdef ATELIER_HAVE_SD
  addDemoStep("sd.txt2img", [](const DemoContext& c, nlohmann::json& rep) -> Status {
    std::string model = sdModelDir();
    if (model.empty()) { rep["skipped"] = kNoModel; return Status::Ok(); }
    rep["model"] = model;
    std::string out = c.out_dir + "/sd_txt2img.png";
    return self("generate -m " + quote(model) + " -p 'a photo of a cat' --steps 10 --seed 0 --device " + c.device +
                " -o " + quote(out), rep, out);
  });
#endif
#if defined(ATELIER_HAVE_IO) && defined(ATELIER_HAVE_EDIT)
  addDemoStep("edit.methods", [](const DemoContext& c, nlohmann::json& rep) -> Status {
    std::string model = sdModelDir();
    if (model.empty()) { rep["skipped"] = kNoModel; return Status::Ok(); }
    std::string photo, mask;
    ATELIER_RETURN_IF_ERROR(prepareEditInputs(c, &photo, &mask));
    const std::string common = " -m " + quote(model) + " -i " + quote(photo) + " --steps " +
                               (c.quick ? "4" : "10") + " --device " + c.device;
    const std::string o = c.out_dir + "/edit_";
    ATELIER_RETURN_IF_ERROR(self("edit --method sdedit --prompt 'an oil painting of an astronaut'" + common +
                                 " -o " + quote(o + "sdedit.png"), rep, o + "sdedit.png"));
    ATELIER_RETURN_IF_ERROR(self("edit --method p2p --source-prompt 'a photo of an astronaut' --prompt "
                                 "'a photo of a robot'" + common + " -o " + quote(o + "p2p.png"), rep, o + "p2p.png"));
    ATELIER_RETURN_IF_ERROR(self("edit --method inpaint --mask " + quote(mask) + " --prompt 'a golden helmet'" + common +
                                 " -o " + quote(o + "inpaint.png"), rep, o + "inpaint.png"));
    ATELIER_RETURN_IF_ERROR(self("edit --method masactrl --source-prompt 'a photo of an astronaut' --prompt "
                                 "'a photo of an astronaut waving'" + common + " -o " + quote(o + "masactrl.png"),
                                 rep, o + "masactrl.png"));
    const std::string layout = c.out_dir + "/demo_layout.json";
    std::ofstream(layout) << R"({"width":128,"height":128,"prompt":"a landscape",)"
                          << R"("regions":[{"box":[0,0,64,128],"prompt":"a red house"},)"
                          << R"({"box":[64,0,128,128],"prompt":"a green tree","image":")" << photo << R"("}]})";
    return self("compose -m " + quote(model) + " --layout " + quote(layout) + " --steps " + (c.quick ? "4" : "10") +
                " --device " + c.device + " -o " + quote(o + "compose.png"), rep, o + "compose.png");
  });
#endif
}

}  // namespace atelier::cli
