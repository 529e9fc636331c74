#pragma once

// Background work that must never delay a review: the engine-building reviews' pool, the audit,
// and the audit's API client run their threads under SCHED_IDLE.

#include <pthread.h>
#include <sched.h>

namespace netadmit::kube {

// Puts the calling thread under SCHED_IDLE for good: it gets the CPU only when no other thread
// wants it. (An unprivileged thread cannot come back from SCHED_IDLE, hence threads of their
// own.) Failing is harmless: the work then competes as an equal.
inline bool RunThisThreadWhenIdle() {
  const sched_param param{};
  return pthread_setschedparam(pthread_self(), SCHED_IDLE, &param) == 0;
}

}  // namespace netadmit::kube
