#include "netadmit/model/cidr.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace netadmit {
namespace {

TEST(CidrTest, ParsesAndNormalizes) {
  struct Case {
    std::string text;
    std::string normalized;
    bool v6;
    int prefix;
  };
  const std::vector<Case> cases = {
      {"10.0.0.0/8", "10.0.0.0/8", false, 8},
      {"10.0.0.1/8", "10.0.0.0/8", false, 8},  // host bits cleared, as net.ParseCIDR does
      {"192.168.1.77/30", "192.168.1.76/30", false, 30},
      {"0.0.0.0/0", "0.0.0.0/0", false, 0},
      {"1.2.3.4/0", "0.0.0.0/0", false, 0},
      {"203.0.113.9/32", "203.0.113.9/32", false, 32},
      {"fd00::/8", "fd00::/8", true, 8},
      {"fd00::1/8", "fd00::/8", true, 8},
      {"::/0", "::/0", true, 0},
      {"2001:db8::1/128", "2001:db8::1/128", true, 128},
      {"2001:db8:ffff::/33", "2001:db8:8000::/33", true, 33},
      // IPv4-mapped IPv6 blocks are the IPv4 blocks they map.
      {"::ffff:0.0.0.0/96", "0.0.0.0/0", false, 0},
      {"::ffff:10.1.2.3/104", "10.0.0.0/8", false, 8},
      {"::ffff:0:0/95", "::fffe:0:0/95", true, 95},
  };
  for (const auto& c : cases) {
    auto cidr = Cidr::Parse(c.text);
    ASSERT_TRUE(cidr.ok()) << c.text << ": " << cidr.error().message;
    EXPECT_EQ(cidr->ToString(), c.normalized) << c.text;
    EXPECT_EQ(cidr->is_v6(), c.v6) << c.text;
    EXPECT_EQ(cidr->prefix_length(), c.prefix) << c.text;
  }
}

TEST(CidrTest, RejectsMalformedText) {
  struct Case {
    std::string text;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"", "invalid CIDR \"\": missing /prefix-length"},
      {"10.0.0.0", "invalid CIDR \"10.0.0.0\": missing /prefix-length"},
      {"10.0.0.0/33", "invalid CIDR \"10.0.0.0/33\": prefix length must be a number from 0 to 32"},
      {"fd00::/129", "invalid CIDR \"fd00::/129\": prefix length must be a number from 0 to 128"},
      {"10.0.0.0/", "invalid CIDR \"10.0.0.0/\": prefix length must be a number from 0 to 32"},
      {"10.0.0.0/-1", "invalid CIDR \"10.0.0.0/-1\": prefix length must be a number from 0 to 32"},
      {"10.0.0.0/+8", "invalid CIDR \"10.0.0.0/+8\": prefix length must be a number from 0 to 32"},
      {"10.0.0.0/08", "invalid CIDR \"10.0.0.0/08\": prefix length must be a number from 0 to 32"},
      {"10.0.0.0/8 ", "invalid CIDR \"10.0.0.0/8 \": prefix length must be a number from 0 to 32"},
      {"10.0.0.0/8/8",
       "invalid CIDR \"10.0.0.0/8/8\": prefix length must be a number from 0 to 32"},
      {"10.0.0.0/0008",
       "invalid CIDR \"10.0.0.0/0008\": prefix length must be a number from 0 to 32"},
      {"10.0.0/8", "invalid CIDR \"10.0.0/8\": not an IPv4 address"},
      {"256.0.0.0/8", "invalid CIDR \"256.0.0.0/8\": not an IPv4 address"},
      {" 10.0.0.0/8", "invalid CIDR \" 10.0.0.0/8\": not an IPv4 address"},
      {"example.com/8", "invalid CIDR \"example.com/8\": not an IPv4 address"},
      {"fd00:::/8", "invalid CIDR \"fd00:::/8\": not an IPv6 address"},
      {"fd00::g/8", "invalid CIDR \"fd00::g/8\": not an IPv6 address"},
  };
  for (const auto& c : cases) {
    auto cidr = Cidr::Parse(c.text);
    ASSERT_FALSE(cidr.ok()) << c.text;
    EXPECT_EQ(cidr.error().message, c.message);
  }
}

TEST(CidrTest, IsEverything) {
  EXPECT_TRUE(Cidr::Parse("0.0.0.0/0")->IsEverything());
  EXPECT_TRUE(Cidr::Parse("::/0")->IsEverything());
  EXPECT_TRUE(Cidr::Parse("::ffff:0.0.0.0/96")->IsEverything());
  EXPECT_FALSE(Cidr::Parse("0.0.0.0/1")->IsEverything());
  EXPECT_FALSE(Cidr::Parse("::/1")->IsEverything());
}

TEST(CidrTest, Contains) {
  struct Case {
    std::string outer;
    std::string inner;
    bool contains;
  };
  const std::vector<Case> cases = {
      {"10.0.0.0/8", "10.0.0.0/8", true},
      {"10.0.0.0/8", "10.200.0.0/16", true},
      {"10.0.0.0/8", "10.255.255.255/32", true},
      {"10.0.0.0/8", "11.0.0.0/16", false},
      {"10.0.0.0/8", "10.0.0.0/7", false},  // wider than the block
      {"10.0.0.0/8", "0.0.0.0/0", false},
      {"0.0.0.0/0", "203.0.113.0/24", true},
      {"172.16.0.0/12", "172.31.255.0/24", true},
      {"172.16.0.0/12", "172.32.0.0/24", false},
      {"10.128.0.0/9", "10.127.0.0/16", false},  // differs in a bit inside a byte
      {"fd00::/8", "fd12:3456::/32", true},
      {"fd00::/8", "fe80::/10", false},
      {"::/0", "2001:db8::/32", true},
      // Across families nothing is contained.
      {"0.0.0.0/0", "::/0", false},
      {"::/0", "10.0.0.0/8", false},
      {"::/0", "0.0.0.0/0", false},
  };
  for (const auto& c : cases) {
    auto outer = Cidr::Parse(c.outer);
    auto inner = Cidr::Parse(c.inner);
    ASSERT_TRUE(outer.ok() && inner.ok()) << c.outer << " " << c.inner;
    EXPECT_EQ(outer->Contains(*inner), c.contains) << c.outer << " contains " << c.inner;
  }
}

std::array<uint8_t, 16> Address(int family, const char* text) {
  std::array<uint8_t, 16> out{};
  EXPECT_EQ(inet_pton(family, text, out.data()), 1) << text;
  return out;
}

TEST(CidrTest, ContainsAddress) {
  const Cidr v4 = *Cidr::Parse("10.0.0.0/8");
  EXPECT_TRUE(v4.ContainsAddress(false, Address(AF_INET, "10.1.2.3")));
  EXPECT_FALSE(v4.ContainsAddress(false, Address(AF_INET, "11.1.2.3")));
  // The same bytes as an IPv6 address are another family.
  EXPECT_FALSE(v4.ContainsAddress(true, Address(AF_INET, "10.1.2.3")));

  const Cidr v6 = *Cidr::Parse("2001:db8::/32");
  EXPECT_TRUE(v6.ContainsAddress(true, Address(AF_INET6, "2001:db8::42")));
  EXPECT_FALSE(v6.ContainsAddress(true, Address(AF_INET6, "2001:db9::42")));
  EXPECT_FALSE(v6.ContainsAddress(false, Address(AF_INET6, "2001:db8::42")));
}

}  // namespace
}  // namespace netadmit
