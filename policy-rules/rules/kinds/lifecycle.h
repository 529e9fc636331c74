#pragma once

// Deletion in progress, which the kinds about what a namespace must keep let through: refusing
// it would leave a namespace, or an object with finalizers, stuck in deletion for good.

#include <string_view>

#include "netadmit/rules/rule.h"

namespace netadmit {

// The user the kube-controller-manager's namespace controller runs as: it deletes every object
// of a namespace being deleted.
inline constexpr std::string_view kNamespaceController =
    "system:serviceaccount:kube-system:namespace-controller";

// The request comes from the namespace controller, or the object's namespace is being deleted
// (as far as the cluster view knows).
bool NamespaceBeingEmptied(const Object& object, const CheckContext& context);

}  // namespace netadmit
