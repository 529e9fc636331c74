#pragma once

#include "netadmit/rules/rule.h"

namespace netadmit {

// NoHostNetwork: pods stay in their own network namespace, where NetworkPolicy applies.
RuleKind NoHostNetworkKind();

}  // namespace netadmit
