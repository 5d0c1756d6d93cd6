// edit::Sampler over an sd::Scheduler (index-based steps; add_noise at exactly timestep(i) through a second,
// state-free scheduler copy so blending never depends on the sampler's step counter).
#pragma once

#include <memory>
#include <string>

#include "edit/engine.h"
#include "sd/scheduler.h"

namespace atelier::edit {

// Builds `kind` from scheduler_config.json text and sets `steps` timesteps. label names the file in errors.
Result<std::unique_ptr<Sampler>> makeSdSampler(sd::SamplerKind kind, const std::string& config_json, int steps,
                                               const std::string& label);

}  // namespace atelier::edit
