// SPDX-License-Identifier: GPL-2.0-or-later
// The sampling thread: loads the vendor library (before the thread exists: no library, no
// thread), then in the thread initialises it, maps the step's devices, samples at once, every
// interval, and once more when stopped. The thread blocks every signal (they stay slurmstepd's)
// and catches everything: a sampler never takes a step down.
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "gpu/gpu.hpp"
#include "gpu/usage.hpp"
#include "gpu/vendor.hpp"

namespace aif::gpu {

struct Sampler::State {
    SamplerOptions options;
    Log debug;
    std::vector<int> ids;
    std::vector<std::unique_ptr<Vendor>> vendors;  // loaded, in the order tried
    std::thread thread;
    std::mutex mu;
    std::condition_variable wake;
    bool stopping = false, done = false;
    StepUsage usage;  // written by the thread before it ends (then done)

    void run() noexcept;
    void sample_until_stopped();
};

namespace {

constexpr std::chrono::seconds kStopWait{3};

double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void say(const Log& log, const std::string& m) {
    try {
        if (log) log(m);
    } catch (...) {
    }
}

}  // namespace

std::vector<int> parse_gpu_ids(const std::string& list) {
    std::vector<int> ids;
    std::size_t at = 0;
    while (at <= list.size() && ids.size() < 1024) {
        std::size_t comma = list.find(',', at);
        if (comma == std::string::npos) comma = list.size();
        const std::string item = list.substr(at, comma - at);
        char* end = nullptr;
        const long lo = std::strtol(item.c_str(), &end, 10);
        long hi = lo;
        if (end && *end == '-') hi = std::strtol(end + 1, &end, 10);
        if (!item.empty() && end && *end == '\0' && lo >= 0 && hi >= lo && hi < 100000)
            for (long i = lo; i <= hi && ids.size() < 1024; ++i) ids.push_back(static_cast<int>(i));
        at = comma + 1;
    }
    return ids;
}

std::vector<unsigned> map_devices(const std::vector<int>& ids, const std::vector<std::optional<unsigned>>& minors) {
    std::vector<unsigned> out;
    auto add = [&](unsigned d) {
        for (unsigned o : out)
            if (o == d) return;
        out.push_back(d);
    };
    // By device-file number first: right whatever order or subset the library enumerates.
    for (int id : ids)
        for (unsigned i = 0; i < minors.size(); ++i)
            if (minors[i] && *minors[i] == static_cast<unsigned>(id)) add(i);
    if (!out.empty()) return out;
    // The numbers speak another language (or are unknown): by index.
    bool beyond = false;
    for (int id : ids) beyond = beyond || static_cast<std::size_t>(id) >= minors.size();
    if (beyond && minors.size() == ids.size()) {
        for (unsigned i = 0; i < minors.size(); ++i) add(i);  // renumbered from 0 for this step
        return out;
    }
    for (int id : ids)
        if (static_cast<std::size_t>(id) < minors.size()) add(static_cast<unsigned>(id));
    return out;
}

void Sampler::State::run() noexcept {
    try {
        sample_until_stopped();
    } catch (...) {
        say(debug, "GPU sampling stopped on an error");
    }
    std::lock_guard<std::mutex> g(mu);
    done = true;
    wake.notify_all();
}

void Sampler::State::sample_until_stopped() {
    Vendor* v = nullptr;
    std::vector<unsigned> devices;
    for (auto& candidate : vendors) {
        std::string why;
        if (!candidate->init(why)) {
            say(debug, std::string("GPU sampling: ") + candidate->name() + ": " + why);
            continue;
        }
        std::vector<std::optional<unsigned>> minors;
        for (unsigned i = 0; i < candidate->count(); ++i) minors.push_back(candidate->minor(i));
        devices = map_devices(ids, minors);
        if (!devices.empty()) {
            v = candidate.get();
            break;
        }
        say(debug, std::string("GPU sampling: ") + candidate->name() + " sees none of the step's GPUs");
        candidate->shutdown();
    }
    if (!v) return;
    UsageAccumulator acc(devices.size());
    std::vector<Reading> round(devices.size());
    const auto interval = std::chrono::duration<double>(options.interval_s);
    std::unique_lock<std::mutex> lock(mu);
    for (bool last = false; !last;) {
        last = stopping;
        lock.unlock();
        for (std::size_t i = 0; i < devices.size(); ++i) round[i] = v->read(devices[i]);
        acc.add(now_s(), round);
        lock.lock();
        if (!last) wake.wait_for(lock, interval, [&] { return stopping; });
    }
    lock.unlock();
    v->shutdown();
    StepUsage u;
    u.source = v->name();
    u.gpus = static_cast<std::uint32_t>(devices.size());
    u.interval_s = options.interval_s;
    acc.summarise(u);
    lock.lock();
    usage = u;
}

Sampler::Sampler(std::unique_ptr<State> s) : state_(std::move(s)) {}

std::unique_ptr<Sampler> Sampler::start(const std::string& slurm_gpus, const SamplerOptions& options, Log debug) noexcept {
    try {
        auto s = std::make_unique<State>();
        s->ids = parse_gpu_ids(slurm_gpus);
        if (s->ids.empty()) return nullptr;
        s->options = options;
        s->debug = std::move(debug);
        std::string why_nvml, why_rocm;
        if (auto v = load_nvml(options.nvml_library, why_nvml)) s->vendors.push_back(std::move(v));
        if (auto v = load_rocm_smi(options.rocm_smi_library, why_rocm)) s->vendors.push_back(std::move(v));
        if (s->vendors.empty()) {
            say(s->debug, "no GPU sampling: " + why_nvml + "; " + why_rocm);
            return nullptr;
        }
        auto sampler = std::make_unique<Sampler>(std::move(s));
        State* raw = sampler->state_.get();
        // The thread starts with every signal blocked: slurmstepd's handlers stay on its threads.
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        try {
            raw->thread = std::thread([raw] { raw->run(); });
        } catch (...) {
            pthread_sigmask(SIG_SETMASK, &old, nullptr);
            return nullptr;
        }
        pthread_sigmask(SIG_SETMASK, &old, nullptr);
        return sampler;
    } catch (...) {
        return nullptr;
    }
}

StepUsage Sampler::stop() noexcept {
    try {
        if (!state_) return {};
        std::unique_lock<std::mutex> lock(state_->mu);
        state_->stopping = true;
        state_->wake.notify_all();
        // A vendor call can hang on a GPU in a bad state (or a first init take seconds without
        // the persistence daemon): the step's end never waits more than kStopWait for it.
        if (!state_->wake.wait_for(lock, kStopWait, [&] { return state_->done; })) {
            lock.unlock();
            say(state_->debug, "GPU sampling did not stop in time; its values are left out");
            state_->thread.detach();
            state_.release();  // the thread still uses it: leaked on purpose, the process is ending
            return {};
        }
        StepUsage u = state_->usage;
        lock.unlock();
        if (state_->thread.joinable()) state_->thread.join();
        return u;
    } catch (...) {
        return {};
    }
}

Sampler::~Sampler() { stop(); }

}  // namespace aif::gpu
