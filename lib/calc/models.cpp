// SPDX-License-Identifier: GPL-2.0-or-later
#include "calc/models.hpp"


#include <algorithm>
#include <cstdlib>

#include "calc/arch_spec.hpp"
#include "common/error.hpp"
#include "common/json.hpp"
#include "common/text.hpp"
#include "common/wire_names.hpp"

#ifndef AIF_DATADIR
#define AIF_DATADIR "/usr/share/aifactory"
#endif

namespace aif::calc {

// JSON scalars become the same strings the --arch syntax takes.
static std::string scalar_text(const json_t* v, const std::string& where, const char* key) {
    if (json_is_integer(v)) return std::to_string(json_integer_value(v));
    if (json_is_boolean(v)) return json_is_true(v) ? "yes" : "no";
    if (json_is_string(v)) return json_string_value(v);
    throw InputError(where + ": arch key '" + key + "' must be a whole number, a string or a boolean");
}

static ModelEntry parse_entry(const json_t* m, const std::string& where) {
    ModelEntry e;
    e.id = lower(json::require_string(m, "id", where));
    const std::string at = where + " model '" + e.id + "'";
    e.name = json::string(m, "name", at).value_or(e.id);
    e.source = json::string(m, "source", at).value_or("");
    e.published_params = json::number(m, "published_params", at).value_or(0);
    if (const json_t* al = json_object_get(m, "aliases"); json_is_array(al)) {
        std::size_t i;
        json_t* s;
        json_array_foreach(al, i, s) if (json_is_string(s)) e.aliases.push_back(lower(json_string_value(s)));
    }
    const json_t* arch = json_object_get(m, "arch");
    if (!json_is_object(arch)) throw InputError(at + ": missing object 'arch'");
    const char* key;
    json_t* v;
    json_object_foreach(const_cast<json_t*>(arch), key, v) set_arch_key(e.arch, key, scalar_text(v, at, key), at);
    try {
        validate(e.arch);
    } catch (const InputError& err) {
        throw InputError(at + ": " + err.what());
    }
    return e;
}

void ModelCatalogue::merge_file(const std::string& path) {
    json::Ptr root = json::load_file(path);
    const json_t* models = json_object_get(root.get(), "models");
    if (!json_is_array(models)) throw InputError(path + ": missing array 'models'");
    std::size_t i;
    json_t* m;
    json_array_foreach(models, i, m) {
        ModelEntry e = parse_entry(m, path);
        auto it = std::find_if(entries_.begin(), entries_.end(), [&](const ModelEntry& x) { return x.id == e.id; });
        if (it != entries_.end())
            *it = std::move(e);
        else
            entries_.push_back(std::move(e));
    }
}

ModelCatalogue ModelCatalogue::load(const std::vector<std::string>& files) {
    ModelCatalogue c;
    for (const auto& f : files) c.merge_file(f);
    return c;
}

const ModelEntry* ModelCatalogue::find(const std::string& name) const {
    const std::string n = lower(trim(name));
    for (const auto& e : entries_)
        if (e.id == n) return &e;
    for (const auto& e : entries_)
        if (std::find(e.aliases.begin(), e.aliases.end(), n) != e.aliases.end()) return &e;
    return nullptr;
}

const ModelEntry& ModelCatalogue::require(const std::string& name) const {
    if (const ModelEntry* e = find(name)) return *e;
    std::vector<std::string> ids;
    for (const auto& e : entries_) {
        ids.push_back(e.id);
        for (const auto& a : e.aliases) ids.push_back(a);
    }
    std::string msg = "unknown model '" + printable(trim(name), 60) + "'";
    auto near = closest(name, ids);
    if (!near.empty()) {
        msg += " (closest:";
        for (std::size_t i = 0; i < near.size(); ++i) msg += (i ? ", " : " ") + near[i];
        msg += ")";
    }
    throw InputError(msg + "; `aifactory models` lists them");
}

std::string default_catalogue_path(const std::string& file) {
    if (const char* dir = std::getenv(names::kDataDirEnv); dir && *dir) return std::string(dir) + "/" + file;
    return std::string(AIF_DATADIR) + "/" + file;
}

}  // namespace aif::calc
