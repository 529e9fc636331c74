#include "netadmit/model/cidr.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace netadmit {

namespace {

constexpr int kV4Bits = 32;
constexpr int kV6Bits = 128;
// ::ffff:0:0/96, the IPv4-mapped IPv6 addresses.
constexpr int kMappedPrefix = 96;
constexpr std::array<uint8_t, 12> kMappedHead = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

Error Invalid(std::string_view text, std::string_view why) {
  Error error;
  error.message = "invalid CIDR \"" + std::string(text) + "\": " + std::string(why);
  return error;
}

// True when the first `bits` bits of a and b are equal.
bool PrefixEqual(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b, int bits) {
  const int whole = bits / 8;
  if (std::memcmp(a.data(), b.data(), static_cast<std::size_t>(whole)) != 0) {
    return false;
  }
  const int rest = bits % 8;
  if (rest == 0) {
    return true;
  }
  const auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

void ClearHostBits(std::array<uint8_t, 16>& address, int prefix) {
  for (int i = 0; i < 16; ++i) {
    const int kept = std::clamp(prefix - i * 8, 0, 8);
    const auto mask = static_cast<uint8_t>(kept == 0 ? 0 : 0xff << (8 - kept));
    address[i] &= mask;
  }
}

}  // namespace

Result<Cidr> Cidr::Parse(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    return Invalid(text, "missing /prefix-length");
  }
  const std::string address_text(text.substr(0, slash));
  const std::string_view prefix_text = text.substr(slash + 1);

  Cidr cidr;
  cidr.v6_ = address_text.find(':') != std::string::npos;
  const int bits = cidr.v6_ ? kV6Bits : kV4Bits;
  if (inet_pton(cidr.v6_ ? AF_INET6 : AF_INET, address_text.c_str(), cidr.address_.data()) != 1) {
    return Invalid(text, cidr.v6_ ? "not an IPv6 address" : "not an IPv4 address");
  }

  // Digits only: from_chars alone would accept a sign and stop at trailing garbage.
  const bool digits = !prefix_text.empty() && prefix_text.size() <= 3 &&
                      std::all_of(prefix_text.begin(), prefix_text.end(),
                                  [](char c) { return c >= '0' && c <= '9'; });
  int prefix = -1;
  if (digits) {
    std::from_chars(prefix_text.data(), prefix_text.data() + prefix_text.size(), prefix);
  }
  if (!digits || prefix > bits || (prefix_text.size() > 1 && prefix_text[0] == '0')) {
    return Invalid(text, "prefix length must be a number from 0 to " + std::to_string(bits));
  }
  cidr.prefix_ = prefix;

  // An IPv4-mapped block (::ffff:a.b.c.d/96 and longer) is the IPv4 block it maps, as Go's net
  // package treats it; otherwise ::ffff:0.0.0.0/96 would slip past a check for 0.0.0.0/0.
  if (cidr.v6_ && prefix >= kMappedPrefix &&
      std::equal(kMappedHead.begin(), kMappedHead.end(), cidr.address_.begin())) {
    std::array<uint8_t, 16> v4{};
    std::copy(cidr.address_.begin() + 12, cidr.address_.end(), v4.begin());
    cidr.address_ = v4;
    cidr.v6_ = false;
    cidr.prefix_ = prefix - kMappedPrefix;
  }
  ClearHostBits(cidr.address_, cidr.prefix_);
  return cidr;
}

bool Cidr::Contains(const Cidr& other) const {
  return v6_ == other.v6_ && prefix_ <= other.prefix_ &&
         PrefixEqual(address_, other.address_, prefix_);
}

bool Cidr::ContainsAddress(bool v6, const std::array<uint8_t, 16>& address) const {
  return v6_ == v6 && PrefixEqual(address_, address, prefix_);
}

std::string Cidr::ToString() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(v6_ ? AF_INET6 : AF_INET, address_.data(), buffer, sizeof(buffer)) == nullptr) {
    return "<invalid>";
  }
  return std::string(buffer) + '/' + std::to_string(prefix_);
}

}  // namespace netadmit
