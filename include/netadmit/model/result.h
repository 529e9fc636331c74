#pragma once

// Errors as values. Every boundary that reads untrusted input (AdmissionReviews, rule sets,
// manifests) returns a Result: the value, or an Error that says where and what.

#include <string>
#include <utility>
#include <variant>

namespace netadmit {

struct Error {
  std::string file;     // source file or ConfigMap key; empty when not from a file
  int line = 0;         // 1-based; 0 when unknown
  int column = 0;       // 1-based; 0 when unknown
  std::string path;     // field path inside the document, e.g. spec.rules[2].params.allowedCIDRs[0]
  std::string message;  // what is wrong, for a person

  // "file:line:column: path: message", leaving out the parts that are unknown.
  std::string ToString() const;
};

// Holds either a T or an Error. Access the side you checked for; the other side asserts.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : state_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

// For operations that produce nothing but may fail.
struct Ok {};
using Status = Result<Ok>;

}  // namespace netadmit
