// SPDX-License-Identifier: GPL-2.0-or-later
// Built instead of store_postgres.cpp when configure found no libpq (or --without-postgresql):
// asking for a PostgreSQL store then says how to get one.
#include "collect/store.hpp"
#include "common/error.hpp"

namespace aif::collect {

std::unique_ptr<Store> open_postgres(const std::string&) {
    throw InputError("this aifactory was built without PostgreSQL support "
                     "(install libpq-dev and configure --with-postgresql)");
}

}  // namespace aif::collect
