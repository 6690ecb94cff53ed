// SPDX-License-Identifier: GPL-2.0-or-later
// The one error boundary of every extern "C" entry point of our plugins (after flux-sched's
// eh_wrapper.hpp): runs the hook, and turns any exception into one log line and the value the
// hook's host documents (SPANK: 0 = carry on; job_submit: SLURM_SUCCESS = let the job pass).
// No exception ever reaches slurmctld, slurmd or slurmstepd.
#pragma once
#include <cstdio>
#include <exception>
#include <new>

extern "C" {
#include <slurm/spank.h>  // slurm_error
}

namespace aif::plugin {

// Runs `hook()` and returns its value; on an exception logs "<plugin>: <where>: <what>; <then>"
// and returns `on_error`. The message is formatted into a fixed buffer: after a bad_alloc there
// may be no memory for a std::string.
template <class Hook>
int guarded(const char* plugin, const char* where, const char* then, int on_error, Hook&& hook) noexcept {
    char what[512];
    try {
        return hook();
    } catch (const std::bad_alloc&) {
        std::snprintf(what, sizeof what, "out of memory");
    } catch (const std::exception& e) {
        std::snprintf(what, sizeof what, "%s", e.what());
    } catch (...) {
        std::snprintf(what, sizeof what, "unexpected error");
    }
    // An exception's text may carry user input: one log line, printable, whatever it holds.
    for (char* c = what; *c; ++c)
        if (static_cast<unsigned char>(*c) < 0x20 || static_cast<unsigned char>(*c) >= 0x7f) *c = '?';
    slurm_error("%s: %s: %s; %s", plugin, where, what, then);
    return on_error;
}

}  // namespace aif::plugin
