#pragma once

// Background work that must not delay a review: the audit and the audit's API client run their
// threads under SCHED_IDLE; the reviews that ask the connectivity engine, which the API server
// waits for, at nice 10.

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

namespace netadmit::kube {

// Puts the calling thread under SCHED_IDLE for good: it gets the CPU only when no other thread
// wants it. (An unprivileged thread cannot come back from SCHED_IDLE, hence threads of their
// own.) Failing is harmless: the work then competes as an equal.
inline bool RunThisThreadWhenIdle() {
  const sched_param param{};
  return pthread_setschedparam(pthread_self(), SCHED_IDLE, &param) == 0;
}

// Lowers the calling thread to nice 10 for good: it gets about a tenth of a core whenever the
// threads at the usual priority want all of it, and all of it when they leave it idle. For work
// that must be answered within a deadline (a review the API server waits for), unlike
// SCHED_IDLE, under which a steady stream of other work starves it. Failing is harmless.
inline bool RunThisThreadAtLowPriority() {
  return setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 10) == 0;
}

}  // namespace netadmit::kube
