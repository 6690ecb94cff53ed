// SPDX-License-Identifier: GPL-2.0-or-later
#include "collector_client.hpp"

#include <curl/curl.h>

#include <fstream>

#include "common/error.hpp"
#include "common/text.hpp"

namespace aif::cli {

namespace {

std::size_t on_body(char* p, std::size_t size, std::size_t n, void* user) {
    auto* s = static_cast<std::string*>(user);
    if (s->size() > 64 * 1024 * 1024) return 0;
    s->append(p, size * n);
    return size * n;
}

}  // namespace

std::string read_token(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw InputError("--token-file " + path + ": cannot read it (run as root, or pass --token-file)");
    std::string t;
    std::getline(in, t);
    t = std::string(trim(t));
    if (t.empty()) throw InputError("--token-file " + path + ": empty");
    return t;
}

Fetched fetch(const std::string& url, const std::string& token, const std::string& ca) {
    Fetched f;
    CURL* h = curl_easy_init();
    if (!h) return {0, "", "curl_easy_init failed"};
    std::string auth = "Authorization: Bearer " + token;
    curl_slist* hdr = curl_slist_append(nullptr, auth.c_str());
    char errbuf[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
#endif
    if (!ca.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, ca.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &f.body);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) f.error = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    else curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &f.status);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    return f;
}

}  // namespace aif::cli
