// Status and Result<T>: error values that cross module and thread boundaries (LevelDB style).
// Thread-safety: values; no shared state. An OK Status holds no heap state.
#pragma once

#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace atelier {

enum class StatusCode { kInvalid = 0, kOk, kInvalidArgument, kNotFound, kCorruption, kInternal, kCancelled,
                        kOutOfMemory, kUnsupported };

class Status {
 public:
  Status() = default;                                                           // OK
  static Status Ok() { return Status(); }                                       // success
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }  // malformed data
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
  static Status Unsupported(std::string m) { return {StatusCode::kUnsupported, std::move(m)}; }
  static Status OutOfMemory(std::string m) { return {StatusCode::kOutOfMemory, std::move(m)}; }
  static Status Cancelled(std::string m = "cancelled") { return {StatusCode::kCancelled, std::move(m)}; }

  bool ok() const { return state_ == nullptr; }                                 // true for success
  StatusCode code() const { return state_ ? state_->code : StatusCode::kOk; }
  const std::string& message() const;                                           // "" when ok
  std::string toString() const;                                                 // "Corruption: file.safetensors: ..."
  Status withContext(const std::string& prefix) const;                          // "prefix: message", same code

 private:
  struct State { StatusCode code; std::string message; };
  Status(StatusCode c, std::string m) : state_(std::make_shared<const State>(State{c, std::move(m)})) {}
  std::shared_ptr<const State> state_;
};

const char* statusCodeName(StatusCode c);                                       // "InvalidArgument", ...

// Holds a T or a non-OK Status. value() on an error aborts with the message (programmer error).
template <class T>
class Result {
 public:
  Result(T v) : value_(std::move(v)) {}                                         // NOLINT: implicit by design
  Result(Status s) : status_(std::move(s)) {                                    // NOLINT
    if (status_.ok()) { status_ = Status::Internal("Result constructed from OK status without a value"); }
  }
  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & { check(); return *value_; }
  const T& value() const& { check(); return *value_; }
  T&& value() && { check(); return std::move(*value_); }
  T* operator->() { check(); return &*value_; }
  const T* operator->() const { check(); return &*value_; }
  T& operator*() & { check(); return *value_; }

 private:
  void check() const {
    if (!status_.ok()) { std::cerr << "Result::value() on error: " << status_.toString() << "\n"; std::abort(); }
  }
  Status status_;
  std::optional<T> value_;
};

}  // namespace atelier

// Return early from the enclosing function when a Status/Result expression failed.
#define ATELIER_RETURN_IF_ERROR(expr)                     \
  do {                                                    \
    ::atelier::Status _at_st = (expr);                    \
    if (!_at_st.ok()) return _at_st;                      \
  } while (0)

#define ATELIER_CONCAT_INNER_(a, b) a##b
#define ATELIER_CONCAT_(a, b) ATELIER_CONCAT_INNER_(a, b)
// ATELIER_ASSIGN_OR_RETURN(auto x, f()); — x = f().value() or return its Status.
#define ATELIER_ASSIGN_OR_RETURN(lhs, expr) \
  ATELIER_ASSIGN_OR_RETURN_IMPL_(ATELIER_CONCAT_(_at_res_, __LINE__), lhs, expr)
#define ATELIER_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                   \
  if (!tmp.ok()) return tmp.status();                  \
  lhs = std::move(tmp).value()

// Programmer errors (violated preconditions): abort with a message. Never for user input.
#define ATELIER_ASSERT(cond, msg)                                                              \
  do {                                                                                         \
    if (!(cond)) {                                                                             \
      std::cerr << __FILE__ << ":" << __LINE__ << ": assertion failed: " #cond ": " << (msg) << "\n"; \
      std::abort();                                                                            \
    }                                                                                          \
  } while (0)
