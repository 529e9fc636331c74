#pragma once

#include "netadmit/rules/rule.h"

namespace netadmit {

// NoOpenIngress: ingress rules must not allow every source.
RuleKind NoOpenIngressKind();

}  // namespace netadmit
