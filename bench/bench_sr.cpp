// ESRGAN benchmark: speed (fp32 vs bf16/fp16, optional UpscalerJS/tfjs reference in the same run) and quality
// (PSNR/SSIM on Y vs bicubic). Inputs are safetensors "image" [1,3,H,W] (bench/sr_prepare_inputs.py), so it builds
// without OpenCV. Prints JSON to stdout; --out FILE also writes it, --md FILE writes the quality table.
//   bench_sr --image fixture.safetensors --models esrgan-slim --scales 2,4 --dtypes fp32,bf16 --node
//   bench_sr --quality --inputs DIR --scales 2,4 --md bench/results/sr_quality.md
#include <ATen/ATen.h>
#include <torch/nn/functional/upsampling.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "atelier/device.h"
#include "atelier/safetensors.h"
#include "sr/upscaler.h"

namespace {

using namespace atelier;
using json = nlohmann::json;
namespace fs = std::filesystem;
namespace F = torch::nn::functional;

struct Args {
  std::string image, inputs, device = "cpu", out, md, node_models = "esrgan-slim";
  std::vector<std::string> models = {"esrgan-slim"}, dtypes = {"fp32", "bf16"};
  std::vector<int64_t> scales = {2, 4};
  int repeat = 3, threads = 0;
  int64_t tile = 0, overlap = 16, batch = 4;
  bool quality = false, node = false;
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string t; std::getline(ss, t, ',');) if (!t.empty()) out.push_back(t);
  return out;
}

// "synthetic:WxH" → a deterministic smooth colour pattern with edges (for machines without the photo inputs).
Result<at::Tensor> loadImage(const std::string& path) {
  int w = 0, h = 0;
  if (std::sscanf(path.c_str(), "synthetic:%dx%d", &w, &h) == 2 && w > 0 && h > 0) {
    at::Tensor y = at::linspace(0, 1, h, at::kDouble).view({h, 1}), x = at::linspace(0, 1, w, at::kDouble).view({1, w});
    at::Tensor r = (at::sin(x * 23 + y * 7) * 0.5 + 0.5), g = (at::cos(x * y * 40) * 0.5 + 0.5);
    at::Tensor b = ((x * 8).floor() + (y * 8).floor()).remainder(2) * 0.6 + 0.2;
    return at::stack({r, g, b}).unsqueeze(0).to(at::kFloat).contiguous();
  }
  ATELIER_ASSIGN_OR_RETURN(TensorMap m, loadSafetensors(path));
  if (!m.count("image")) return Status::NotFound(path + ": no 'image' tensor");
  return m["image"].to(at::kFloat).contiguous();
}

double seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double psnr(const at::Tensor& a, const at::Tensor& b, double peak) {
  double mse = (a.to(at::kDouble) - b.to(at::kDouble)).pow(2).mean().item<double>();
  return mse <= 0 ? 999.0 : 10.0 * std::log10(peak * peak / mse);
}

// BT.601 luma as MATLAB rgb2ycbcr ([16,235]), from [1,3,H,W] in [0,1], quantised to 8 bits first.
at::Tensor lumaY(const at::Tensor& rgb) {
  at::Tensor q = rgb.clamp(0, 1).mul(255).round().div(255).to(at::kDouble);
  return (q.select(1, 0) * 65.481 + q.select(1, 1) * 128.553 + q.select(1, 2) * 24.966 + 16.0).unsqueeze(1);
}

// SSIM (Wang et al.; 11×11 Gaussian σ=1.5) on [1,1,H,W] luma in [0,255].
double ssim(const at::Tensor& x, const at::Tensor& y) {
  at::Tensor g = at::arange(11, at::kDouble).sub(5).pow(2).div(-2 * 1.5 * 1.5).exp();
  g = g / g.sum();
  at::Tensor win = (g.unsqueeze(1) * g.unsqueeze(0)).view({1, 1, 11, 11});
  auto f = [&](const at::Tensor& t) { return at::conv2d(t, win); };
  const double c1 = std::pow(0.01 * 255, 2), c2 = std::pow(0.03 * 255, 2);
  at::Tensor mx = f(x), my = f(y);
  at::Tensor sxx = f(x * x) - mx * mx, syy = f(y * y) - my * my, sxy = f(x * y) - mx * my;
  at::Tensor m = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2));
  return m.mean().item<double>();
}

Result<std::shared_ptr<sr::Upscaler>> load(const std::string& model, int64_t s, c10::Device dev, c10::ScalarType dt) {
  sr::UpscalerConfig cfg;
  cfg.model = model;
  cfg.scale = s;
  cfg.device = dev;
  cfg.dtype = dt;
  return sr::Upscaler::load(cfg);
}

// Runs bench/sr_upscalerjs.mjs on the same image; returns its JSON (empty on failure).
json runNode(const Args& a, const std::string& model, int64_t s) {
  fs::path script = fs::path(sr::defaultModelsDir()).parent_path() / "bench" / "sr_upscalerjs.mjs";
  std::string cmd = "node '" + script.string() + "' --model " + model + " --scale " + std::to_string(s) +
                    " --input '" + a.image + "' --models-dir '" + sr::defaultModelsDir() + "' 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return {};
  std::string all;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) all.append(buf, n);
  pclose(p);
  std::string last;
  std::stringstream ss(all);
  for (std::string line; std::getline(ss, line);) if (!line.empty() && line[0] == '{') last = line;
  json j = json::parse(last, nullptr, false);
  return j.is_discarded() ? json() : j;
}

Status speed(const Args& a, json& report) {
  ATELIER_ASSIGN_OR_RETURN(c10::Device dev, parseDevice(a.device));
  ATELIER_ASSIGN_OR_RETURN(at::Tensor img, loadImage(a.image));
  report["image"] = {{"path", a.image}, {"width", img.size(3)}, {"height", img.size(2)}};
  sr::UpscaleOptions opt;
  opt.tiles = {a.tile, a.overlap, a.batch};
  for (const std::string& model : a.models) {
    for (int64_t s : a.scales) {
      json row = {{"model", model}, {"scale", s}};
      at::Tensor ref;
      double fp32_ms = 0, best_ms = 0;
      for (const std::string& dts : a.dtypes) {
        ATELIER_ASSIGN_OR_RETURN(c10::ScalarType dt, parseDType(dts));
        auto up = load(model, s, dev, dt);
        if (!up.ok()) { row[dts] = {{"error", up.status().toString()}}; continue; }
        ATELIER_RETURN_IF_ERROR((*up)->upscale(img, opt).status());   // warm-up (allocator, kernels)
        std::vector<double> ms;
        at::Tensor out;
        for (int r = 0; r < a.repeat; ++r) {
          auto t0 = std::chrono::steady_clock::now();
          ATELIER_ASSIGN_OR_RETURN(out, (*up)->upscale(img, opt));
          synchronize(dev);
          ms.push_back(1e3 * seconds(t0));
        }
        std::sort(ms.begin(), ms.end());
        const double med = ms[ms.size() / 2];
        json d = {{"ms_median", med}, {"ms_min", ms.front()},
                  {"out_mpix_per_s", double(out.size(2) * out.size(3)) / 1e6 / (med / 1e3)}};
        if (dt == c10::kFloat) { ref = out; fp32_ms = med; }
        else if (ref.defined()) d["psnr_vs_fp32_db"] = psnr(out, ref, 1.0);
        if (best_ms == 0 || med < best_ms) best_ms = med;
        row[dts] = d;
      }
      const std::vector<std::string> js_models = split(a.node_models);
      if (a.node && std::find(js_models.begin(), js_models.end(), model) != js_models.end()) {
        json js = runNode(a, model, s);
        row["upscalerjs"] = js;
        if (js.contains("ms_best") && fp32_ms > 0) {
          row["speedup_fp32"] = js["ms_best"].get<double>() / fp32_ms;
          row["speedup_best"] = js["ms_best"].get<double>() / best_ms;
        }
      }
      report["speed"].push_back(row);
      std::cerr << row.dump() << "\n";
    }
  }
  return Status::Ok();
}

Status quality(const Args& a, json& report, std::string& md) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(a.inputs)) {
    if (e.path().extension() == ".safetensors" && e.path().stem() != "fixture") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  std::ostringstream t;
  t << "| image | scale | bicubic PSNR / SSIM |";
  for (const auto& m : a.models) t << " " << m << " PSNR / SSIM |";
  t << "\n|---|---|---|";
  for (size_t i = 0; i < a.models.size(); ++i) t << "---|";
  t << "\n";
  std::map<std::string, std::pair<double, double>> sums;
  for (int64_t s : a.scales) {
    std::vector<std::shared_ptr<sr::Upscaler>> ups;
    for (const auto& m : a.models) {
      ATELIER_ASSIGN_OR_RETURN(auto up, load(m, s, c10::Device(c10::kCPU), c10::kFloat));
      ups.push_back(up);
    }
    for (const fs::path& f : files) {
      ATELIER_ASSIGN_OR_RETURN(at::Tensor hr, loadImage(f.string()));
      const int64_t h = hr.size(2) / s * s, w = hr.size(3) / s * s;
      hr = hr.slice(2, 0, h).slice(3, 0, w).contiguous();
      at::Tensor lr = F::interpolate(hr, F::InterpolateFuncOptions().size(std::vector<int64_t>{h / s, w / s})
                                             .mode(torch::kBicubic).align_corners(false).antialias(true));
      lr = lr.clamp(0, 1).mul(255).round().div(255);   // as if saved to an 8-bit file
      auto metrics = [&](const at::Tensor& up) {
        at::Tensor yu = lumaY(up).slice(2, s, h - s).slice(3, s, w - s), yh = lumaY(hr).slice(2, s, h - s).slice(3, s, w - s);
        return std::make_pair(psnr(yu, yh, 255.0), ssim(yu, yh));
      };
      at::Tensor bic = F::interpolate(lr, F::InterpolateFuncOptions().size(std::vector<int64_t>{h, w})
                                              .mode(torch::kBicubic).align_corners(false)).clamp(0, 1);
      auto [bp, bs] = metrics(bic);
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.2f / %.4f", bp, bs);
      t << "| " << f.stem().string() << " | x" << s << " | " << buf << " |";
      json row = {{"image", f.stem().string()}, {"scale", s}, {"bicubic", {{"psnr_y", bp}, {"ssim_y", bs}}}};
      sums["bicubic x" + std::to_string(s)].first += bp;
      sums["bicubic x" + std::to_string(s)].second += bs;
      for (size_t i = 0; i < ups.size(); ++i) {
        sr::UpscaleOptions opt;
        opt.tiles = {256, 32, 4};
        ATELIER_ASSIGN_OR_RETURN(at::Tensor out, ups[i]->upscale(lr, opt));
        auto [p, q] = metrics(out);
        std::snprintf(buf, sizeof buf, "%.2f / %.4f", p, q);
        t << " " << buf << " |";
        row[a.models[i]] = {{"psnr_y", p}, {"ssim_y", q}};
        sums[a.models[i] + " x" + std::to_string(s)].first += p;
        sums[a.models[i] + " x" + std::to_string(s)].second += q;
      }
      t << "\n";
      report["quality"].push_back(row);
      std::cerr << row.dump() << "\n";
    }
  }
  t << "\nMean over images:\n\n| method | PSNR (dB) | SSIM |\n|---|---|---|\n";
  const double per_scale = std::max<double>(1.0, double(files.size()));
  for (const auto& [k, v] : sums) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "| %s | %.2f | %.4f |\n", k.c_str(), v.first / per_scale, v.second / per_scale);
    t << buf;
  }
  md = t.str();
  return Status::Ok();
}

Status run(const Args& a) {
  json report = {{"bench", "sr"}, {"libtorch", libtorchVersion()}, {"device", a.device},
                 {"threads", configureThreads(a.threads)}, {"mkldnn", at::hasMKLDNN()}};
  std::string md;
  if (a.quality) ATELIER_RETURN_IF_ERROR(quality(a, report, md));
  else ATELIER_RETURN_IF_ERROR(speed(a, report));
  std::cout << report.dump(2) << "\n";
  if (!a.out.empty()) std::ofstream(a.out) << report.dump(2) << "\n";
  if (!a.md.empty() && !md.empty()) {
    std::ofstream(a.md) << "# ESRGAN quality (PSNR/SSIM on Y, border of s px cropped)\n\n"
                        << "skimage data photos, bicubic (antialiased) downscale xs then 8-bit quantisation; "
                        << "upscaled with bicubic and each @upscalerjs model (fp32, CPU, tiles 256/32). "
                        << "Generated by `bench_sr --quality`.\n\n" << md;
  }
  return Status::Ok();
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (k == "--image") a.image = next();
    else if (k == "--inputs") a.inputs = next();
    else if (k == "--device") a.device = next();
    else if (k == "--out") a.out = next();
    else if (k == "--md") a.md = next();
    else if (k == "--models") a.models = split(next());
    else if (k == "--dtypes") a.dtypes = split(next());
    else if (k == "--scales") { a.scales.clear(); for (auto& s : split(next())) a.scales.push_back(std::stoll(s)); }
    else if (k == "--repeat") a.repeat = std::max(1, std::stoi(next()));
    else if (k == "--threads") a.threads = std::stoi(next());
    else if (k == "--tile") a.tile = std::stoll(next());
    else if (k == "--overlap") a.overlap = std::stoll(next());
    else if (k == "--batch") a.batch = std::stoll(next());
    else if (k == "--quality") a.quality = true;
    else if (k == "--node") a.node = true;
    else if (k == "--node-models") a.node_models = next();
    else { std::cerr << "unknown option " << k << "\n"; return 2; }
  }
  if (!a.quality && a.image.empty()) a.image = "synthetic:512x512";   // e.g. scripts/gpu-build.sh's plain call
  if (a.quality && a.inputs.empty()) {
    std::cerr << "usage: bench_sr [--image IMG.safetensors|synthetic:WxH (default 512x512)] [--models m,..] [--scales 2,4] [--dtypes fp32,bf16] "
                 "[--device cpu|cuda] [--repeat 3] [--tile 0] [--node [--node-models esrgan-slim]] [--out F.json]\n"
                 "       bench_sr --quality --inputs DIR [--models ...] [--scales ...] [--md F.md]\n";
    return 2;
  }
  Status s = run(a);
  if (!s.ok()) { std::cerr << "error: " << s.toString() << "\n"; return 1; }
  return 0;
}
