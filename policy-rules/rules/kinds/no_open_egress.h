#pragma once

#include "netadmit/rules/rule.h"

namespace netadmit {

// NoOpenEgress: egress rules must not allow every destination.
RuleKind NoOpenEgressKind();

}  // namespace netadmit
