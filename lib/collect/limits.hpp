// SPDX-License-Identifier: GPL-2.0-or-later
// Request deadlines for the collector. libmicrohttpd's timeout is an idle timeout: every byte
// restarts it, so a client trickling a byte every few seconds holds a connection (and its slot
// in the connection limit) for ever. Deadlines remembers when each connection's current request
// began and, from a sweeper thread, shuts down any whose headers and body have not all arrived
// within the deadline. It shuts down its own dup() of the socket, so it never touches a file
// descriptor number that libmicrohttpd has closed and reused.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <mutex>
#include <thread>

namespace aif::collect {

class Deadlines {
public:
    using Logger = std::function<void(const std::string&)>;
    Deadlines(unsigned seconds, Logger log);
    ~Deadlines();
    Deadlines(const Deadlines&) = delete;
    Deadlines& operator=(const Deadlines&) = delete;

    void opened(const void* conn, int fd);  // a connection was accepted: its first request's clock starts
    void closed(const void* conn);          // libmicrohttpd is about to close it
    void request_read(const void* conn);    // the whole request arrived: no deadline while replying
    void request_done(const void* conn);    // reply sent; a keep-alive connection's next request starts now
    std::uint64_t expired() const;          // connections shut down so far

private:
    struct Entry {
        int fd = -1;
        std::chrono::steady_clock::time_point start;
        bool waiting = true;  // false while a reply is being produced or after a shutdown
    };
    void sweep();
    std::chrono::seconds limit_;
    Logger log_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::map<const void*, Entry> open_;
    std::uint64_t expired_ = 0;
    bool stop_ = false;
    std::thread sweeper_;
};

}  // namespace aif::collect
