// EditModel over an already built sd::SdModel (benchmarks with random weights; loadEditModel for folders).
#pragma once

#include <memory>

#include "edit/engine.h"
#include "sd/model_folder.h"

namespace atelier::edit {

// REQUIRES: m has unet, vae and text_encoder.
std::shared_ptr<EditModel> wrapSdModel(std::shared_ptr<sd::SdModel> m);

}  // namespace atelier::edit
