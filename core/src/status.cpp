// Status formatting.
#include "atelier/status.h"

namespace atelier {

const char* statusCodeName(StatusCode c) {
  switch (c) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kInvalidArgument: return "InvalidArgument";
    case StatusCode::kNotFound: return "NotFound";
    case StatusCode::kCorruption: return "Corruption";
    case StatusCode::kInternal: return "Internal";
    case StatusCode::kCancelled: return "Cancelled";
    case StatusCode::kOutOfMemory: return "OutOfMemory";
    case StatusCode::kUnsupported: return "Unsupported";
    case StatusCode::kInvalid: break;
  }
  return "Invalid";
}

const std::string& Status::message() const {
  static const std::string kEmpty;
  return state_ ? state_->message : kEmpty;
}

std::string Status::toString() const {
  if (ok()) { return "OK"; }
  return std::string(statusCodeName(code())) + ": " + state_->message;
}

Status Status::withContext(const std::string& prefix) const {
  if (ok()) { return *this; }
  return Status(code(), prefix + ": " + state_->message);
}

}  // namespace atelier
