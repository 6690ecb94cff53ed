// SPDX-License-Identifier: GPL-2.0-or-later
#include "fake_spank.hpp"

#include <malloc.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

FakeSlurm fake;
extern "C" {
slurm_conf_t slurm_conf;
}

bool FakeSlurm::logged(const std::string& needle) const {
    for (const auto& l : log)
        if (l.find(needle) != std::string::npos) return true;
    return false;
}

namespace {

void maybe_throw(const char* fn) {
    if (fake.throw_in == fn) throw std::runtime_error(std::string("fake failure in ") + fn);
}

void add_log(const char* level, const char* fmt, va_list ap) {
    char buf[8192];
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    fake.log.push_back(std::string(level) + ": " + buf);
}

// spank_err_t is an enum in C++ eyes; the ESPANK_* macros are plain ints.
spank_err_t err(int code) { return static_cast<spank_err_t>(code); }
spank_err_t ok() { return err(ESPANK_SUCCESS); }

}  // namespace

extern "C" {

void slurm_error(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    add_log("error", fmt, ap);
    va_end(ap);
}
void slurm_info(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    add_log("info", fmt, ap);
    va_end(ap);
}
void slurm_verbose(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    add_log("verbose", fmt, ap);
    va_end(ap);
}
void slurm_debug(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    add_log("debug", fmt, ap);
    va_end(ap);
}

spank_context_t spank_context(void) {
    maybe_throw("spank_context");
    return fake.context;
}

spank_err_t spank_getenv(spank_t, const char* var, char* buf, int len) {
    maybe_throw("spank_getenv");
    auto it = fake.job_env.find(var);
    if (it == fake.job_env.end()) return err(ESPANK_ENV_NOEXIST);
    if (static_cast<int>(it->second.size()) >= len) return err(ESPANK_NOSPACE);
    std::memcpy(buf, it->second.c_str(), it->second.size() + 1);
    return ok();
}

spank_err_t spank_setenv(spank_t, const char* var, const char* val, int) {
    fake.set_env[var] = val;
    return ok();
}
spank_err_t spank_unsetenv(spank_t, const char* var) {
    fake.set_env.erase(var);
    return ok();
}
spank_err_t spank_job_control_setenv(spank_t, const char* var, const char* val, int) {
    maybe_throw("spank_job_control_setenv");
    fake.job_control_env[var] = val;
    return ok();
}

spank_err_t spank_option_register(spank_t, struct spank_option* opt) {
    fake.options.push_back(*opt);
    return ok();
}

spank_err_t spank_get_item(spank_t, spank_item_t item, ...) {
    maybe_throw("spank_get_item");
    va_list ap;
    va_start(ap, item);
    spank_err_t rc = ok();
    switch (item) {
        case S_JOB_UID: *va_arg(ap, uid_t*) = fake.uid; break;
        case S_JOB_ID: *va_arg(ap, std::uint32_t*) = fake.job_id; break;
        case S_JOB_STEPID: *va_arg(ap, std::uint32_t*) = fake.step_id; break;
        case S_JOB_NNODES: *va_arg(ap, std::uint32_t*) = fake.nnodes; break;
        case S_JOB_LOCAL_TASK_COUNT: *va_arg(ap, std::uint32_t*) = fake.local_tasks; break;
        case S_JOB_NCPUS: *va_arg(ap, std::uint16_t*) = fake.ncpus; break;
        case S_TASK_ID: *va_arg(ap, int*) = fake.task_id; break;
        case S_TASK_GLOBAL_ID: *va_arg(ap, std::uint32_t*) = fake.global_task; break;
        case S_TASK_EXIT_STATUS: *va_arg(ap, int*) = fake.exit_status; break;
        case S_STEP_CPUS_PER_TASK: *va_arg(ap, std::uint32_t*) = 1; break;
        case S_STEP_ALLOC_CORES:
            if (fake.step_cores.empty()) rc = err(ESPANK_NOT_AVAIL);
            else *va_arg(ap, char**) = const_cast<char*>(fake.step_cores.c_str());
            break;
        case S_JOB_ENV: {
            fake.env_strings.clear();
            fake.env_ptrs.clear();
            for (const auto& [k, v] : fake.job_env) fake.env_strings.push_back(k + "=" + v);
            for (auto& s : fake.env_strings) fake.env_ptrs.push_back(s.data());
            fake.env_ptrs.push_back(nullptr);
            *va_arg(ap, char***) = fake.env_ptrs.data();
            break;
        }
        default: rc = err(ESPANK_BAD_ARG);
    }
    va_end(ap);
    return rc;
}

// Slurm's allocator, here plain malloc: the plugin only hands these strings back to us.
char* slurm_xstrdup(const char* s) { return s ? strdup(s) : nullptr; }
void slurm_xfree_ptr(void* p) { std::free(p); }
char* slurm_get_extra_conf_path(const char*) { return nullptr; }
void* slurm_xrecalloc(void** item, size_t count, size_t size, bool, bool, const char*, int, const char*) {
    maybe_throw("slurm_xrecalloc");
    const size_t old = *item ? malloc_usable_size(*item) : 0;
    void* fresh = std::calloc(count, size);
    if (*item) std::memcpy(fresh, *item, old < count * size ? old : count * size);
    std::free(*item);
    *item = fresh;
    return fresh;
}

}  // extern "C"
