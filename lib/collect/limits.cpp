// SPDX-License-Identifier: GPL-2.0-or-later
#include "collect/limits.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <utility>

namespace aif::collect {

Deadlines::Deadlines(unsigned seconds, Logger log)
    : limit_(seconds), log_(std::move(log)), sweeper_([this] { sweep(); }) {}

Deadlines::~Deadlines() {
    {
        std::lock_guard<std::mutex> g(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    sweeper_.join();
    for (auto& [c, e] : open_)
        if (e.fd >= 0) ::close(e.fd);
}

void Deadlines::opened(const void* conn, int fd) {
    int own = fd >= 0 ? ::fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
    std::lock_guard<std::mutex> g(mu_);
    Entry& e = open_[conn];
    if (e.fd >= 0) ::close(e.fd);
    e = {own, std::chrono::steady_clock::now(), true};
}

void Deadlines::closed(const void* conn) {
    std::lock_guard<std::mutex> g(mu_);
    auto it = open_.find(conn);
    if (it == open_.end()) return;
    if (it->second.fd >= 0) ::close(it->second.fd);
    open_.erase(it);
}

void Deadlines::request_read(const void* conn) {
    std::lock_guard<std::mutex> g(mu_);
    if (auto it = open_.find(conn); it != open_.end()) it->second.waiting = false;
}

void Deadlines::request_done(const void* conn) {
    std::lock_guard<std::mutex> g(mu_);
    if (auto it = open_.find(conn); it != open_.end() && it->second.fd >= 0) {
        it->second.start = std::chrono::steady_clock::now();
        it->second.waiting = true;
    }
}

std::uint64_t Deadlines::expired() const {
    std::lock_guard<std::mutex> g(mu_);
    return expired_;
}

void Deadlines::sweep() {
    std::unique_lock<std::mutex> g(mu_);
    while (!stop_) {
        cv_.wait_for(g, std::chrono::milliseconds(250));
        auto now = std::chrono::steady_clock::now();
        std::size_t cut = 0;
        for (auto& [c, e] : open_) {
            if (!e.waiting || e.fd < 0 || now - e.start < limit_) continue;
            ::shutdown(e.fd, SHUT_RDWR);  // libmicrohttpd sees the end of the stream and closes it
            e.waiting = false;
            ++cut;
        }
        expired_ += cut;
        if (cut && log_) {
            g.unlock();
            log_("closed " + std::to_string(cut) + " connection(s) that sent no complete request within " +
                 std::to_string(limit_.count()) + " s (--request-deadline)");
            g.lock();
        }
    }
}

}  // namespace aif::collect
