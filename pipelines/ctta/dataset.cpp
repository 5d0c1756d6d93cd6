// JPEG archive loading and stream assets.
#include "ctta/dataset.h"

#include <torch/torch.h>

#include <cstdlib>
#include <map>

#include "atelier/safetensors.h"
#include "ctta/image_codec.h"

namespace atelier::ctta {

const std::vector<std::string>& cifar10Classes() {
  static const std::vector<std::string> c = {"airplane", "automobile", "bird", "cat", "deer",
                                             "dog", "frog", "horse", "ship", "truck"};
  return c;
}

std::string cttaAssetsDir() {
  if (const char* e = std::getenv("ATELIER_CTTA_ASSETS"); e && *e) return e;
#ifdef ATELIER_CTTA_ASSETS_DIR
  return ATELIER_CTTA_ASSETS_DIR;
#else
  return "assets/ctta";
#endif
}

Result<LabeledImages> loadJpegArchive(const std::string& tar_path, const std::string& split,
                                      const std::vector<std::string>& classes, int64_t per_class) {
  std::map<std::string, int64_t> cls;
  for (size_t i = 0; i < classes.size(); ++i) cls[classes[i]] = int64_t(i);
  std::map<int64_t, std::pair<int64_t, Image8>> found;   // index -> (label, image)
  Status err;
  Status st = forEachTarEntry(tar_path, [&](const std::string& name, const std::string& bytes) {
    // name: split/<class>/<number>.jpg
    if (name.size() < split.size() + 1 || name.compare(0, split.size() + 1, split + "/") != 0) return true;
    auto rest = name.substr(split.size() + 1);
    auto slash = rest.find('/');
    if (slash == std::string::npos) return true;
    auto it = cls.find(rest.substr(0, slash));
    if (it == cls.end()) return true;
    std::string file = rest.substr(slash + 1);
    auto dot = file.find('.');
    char* end = nullptr;
    long num = std::strtol(file.substr(0, dot).c_str(), &end, 10);
    if (dot == std::string::npos || num < 0 || num >= per_class) return true;
    auto img = decodeJpeg(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), tar_path + ":" + name);
    if (!img.ok()) { err = img.status(); return false; }
    found[it->second * per_class + num] = {it->second, std::move(img).value()};
    return true;
  });
  ATELIER_RETURN_IF_ERROR(st);
  ATELIER_RETURN_IF_ERROR(err);
  if (found.empty()) return Status::NotFound(tar_path + ": no " + split + "/<class>/NNNN.jpg files");
  const auto& first = found.begin()->second.second;
  const int64_t n = int64_t(found.size()), h = first.h, w = first.w;
  LabeledImages out;
  out.images = torch::empty({n, h, w, 3}, torch::kUInt8);
  out.labels = torch::empty({n}, torch::kInt64);
  out.indices = torch::empty({n}, torch::kInt64);
  int64_t i = 0;
  for (auto& [idx, e] : found) {
    if (e.second.h != h || e.second.w != w)
      return Status::InvalidArgument(tar_path + ": images differ in size (index " + std::to_string(idx) + ")");
    std::memcpy(out.images[i].data_ptr<uint8_t>(), e.second.data.data(), size_t(h * w * 3));
    out.labels[i] = e.first;
    out.indices[i] = idx;
    ++i;
  }
  return out;
}

Result<LabeledImages> selectByIndex(const LabeledImages& set, const at::Tensor& wanted) {
  std::map<int64_t, int64_t> pos;
  auto idx = set.indices.contiguous();
  for (int64_t i = 0; i < idx.numel(); ++i) pos[idx.data_ptr<int64_t>()[i]] = i;
  auto w = wanted.to(torch::kInt64).contiguous();
  std::vector<int64_t> rows;
  for (int64_t i = 0; i < w.numel(); ++i) {
    auto it = pos.find(w.data_ptr<int64_t>()[i]);
    if (it == pos.end())
      return Status::NotFound("image index " + std::to_string(w.data_ptr<int64_t>()[i]) + " is not in the data set");
    rows.push_back(it->second);
  }
  auto r = torch::tensor(rows, torch::kInt64);
  return LabeledImages{set.images.index_select(0, r), set.labels.index_select(0, r), set.indices.index_select(0, r)};
}

at::Tensor toFloatNCHW(const at::Tensor& u8) {
  return u8.permute({0, 3, 1, 2}).to(torch::kFloat).div(255.0f).contiguous();
}

Result<at::Tensor> loadPermutation(const std::string& path) {
  ATELIER_ASSIGN_OR_RETURN(auto f, SafetensorsFile::open(path));
  if (!f->find("permutation")) return Status::NotFound(path + ": no tensor 'permutation'");
  ATELIER_ASSIGN_OR_RETURN(at::Tensor p, f->tensor("permutation"));
  return p.to(torch::kInt64).clone();
}

}  // namespace atelier::ctta
