// The registration list: every built-in kind once, in reference order, each with a compile
// function and documented params; registering twice is a programming error that aborts.

#include "../policy-rules/registration.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "netadmit/catalog.h"

namespace netadmit {
namespace {

TEST(RegistrationTest, BuiltinCatalogListsEveryKindOnce) {
  std::vector<std::string> names;
  for (const auto& kind : BuiltinCatalog().kinds()) {
    names.emplace_back(kind.name);
    EXPECT_NE(kind.compile, nullptr) << kind.name;
    EXPECT_FALSE(kind.summary.empty()) << kind.name;
    for (const auto& param : kind.params) {
      EXPECT_FALSE(param.type.empty()) << kind.name << "." << param.name;
      EXPECT_FALSE(param.description.empty()) << kind.name << "." << param.name;
    }
  }
  EXPECT_EQ(names, (std::vector<std::string>{"NoOpenEgress", "NoOpenIngress", "RequirePorts",
                                             "ExplicitPolicyTypes", "RestrictNamespacePeers",
                                             "NoHostNetwork", "RequirePodLabels"}));
  ASSERT_NE(BuiltinCatalog().Find("NoHostNetwork"), nullptr);
  EXPECT_EQ(BuiltinCatalog().Find("NoHostNetwork")->target, Target::kPodTemplate);
  EXPECT_EQ(BuiltinCatalog().Find("RequirePodLabels")->target, Target::kPodTemplate);
  EXPECT_EQ(BuiltinCatalog().Find("NoOpenEgress")->target, Target::kNetworkPolicy);
}

TEST(RegistrationDeathTest, RegisteringTwiceAborts) {
  RuleCatalog catalog;
  RegisterBuiltinKinds(catalog);
  EXPECT_DEATH(RegisterBuiltinKinds(catalog),
               "cannot register rule kind \"NoOpenEgress\": rule kind \"NoOpenEgress\" is "
               "registered twice");
}

}  // namespace
}  // namespace netadmit
