// SPDX-License-Identifier: GPL-2.0-or-later
// Model catalogue (etc/models.json): named architectures with published parameter counts.
#pragma once
#include <string>
#include <vector>

#include "calc/model.hpp"

namespace aif::calc {

struct ModelEntry {
    std::string id, name, source;
    std::vector<std::string> aliases;
    Architecture arch;
    double published_params = 0;  // 0 when no exact figure is published
};

class ModelCatalogue {
public:
    static ModelCatalogue load(const std::vector<std::string>& files);
    void merge_file(const std::string& path);
    const ModelEntry* find(const std::string& id_or_alias) const;
    // Throws InputError "unknown model 'x' (closest: a, b, c)".
    const ModelEntry& require(const std::string& id_or_alias) const;
    const std::vector<ModelEntry>& entries() const { return entries_; }

private:
    std::vector<ModelEntry> entries_;
};

// Where the shipped catalogues live: $AIFACTORY_DATADIR, else the install dir (pkgdatadir).
std::string default_catalogue_path(const std::string& file);

}  // namespace aif::calc
