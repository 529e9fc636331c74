#pragma once

// IPv4 and IPv6 CIDR blocks, as NetworkPolicy ipBlock and rule params write them.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "netadmit/model/result.h"

namespace netadmit {

class Cidr {
 public:
  // Parses "10.0.0.0/8" or "fd00::/8". Host bits past the prefix are cleared, as Go's
  // net.ParseCIDR does. Fails with a message naming the text on anything else.
  static Result<Cidr> Parse(std::string_view text);

  bool is_v6() const { return v6_; }
  int prefix_length() const { return prefix_; }
  // 0.0.0.0/0 or ::/0.
  bool IsEverything() const { return prefix_ == 0; }
  // True when every address of `other` lies in this block (same family only).
  bool Contains(const Cidr& other) const;
  // True when the single address (16 bytes; IPv4 in the first 4) lies in this block.
  bool ContainsAddress(bool v6, const std::array<uint8_t, 16>& address) const;
  std::string ToString() const;

 private:
  bool v6_ = false;
  int prefix_ = 0;
  std::array<uint8_t, 16> address_{};
};

}  // namespace netadmit
