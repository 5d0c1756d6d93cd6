// CTTA as a Stage: one stage per method ("ctta.tent.v1", …). Packet in: "image" [B,3,H,W] in [0,1] (any size;
// resized to the model input), optional "labels" [B]. Out: "logits", "probs", "image" (what the model saw), scalars
// "pred", "confidence", "entropy", "latency_ms", "error" (with labels), text "label" and "method" (name with its caveat,
// e.g. "eata (no Fisher: no source training images)"). Model: safetensors or TorchScript .pt, JSON next to it.
#pragma once

#include <memory>
#include <string>

#include "atelier/stage.h"

namespace atelier {
void registerCttaStages();          // registers ctta.<method>.v1 for every method
}

namespace atelier::ctta {
std::unique_ptr<Stage> makeCttaStage(const std::string& method);   // nullptr for an unknown method
}
