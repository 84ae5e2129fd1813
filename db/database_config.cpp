#include "db/database_config.hpp"

#include "db/embedded_cluster.hpp"

#include <array>
#include <cstdlib>

namespace midilib {

namespace {

char const *env(char const *name)
{
    char const *v = std::getenv(name);
    return (v != nullptr && *v != '\0') ? v : nullptr;
}

/// libpq variables that name a server or database; any of them means "use libpq's defaults".
constexpr std::array<char const *, 6> LIBPQ_VARIABLES{"PGHOST",     "PGHOSTADDR", "PGPORT",
                                                      "PGDATABASE", "PGSERVICE",  "PGUSER"};

} // namespace

database_choice choose_database(std::optional<std::string> const &db_option,
                                std::optional<std::filesystem::path> const &data_dir)
{
    if (db_option) {
        return {*db_option, false, {}, "--db"};
    }
    if (data_dir) { // naming the embedded cluster's folder asks for it, whatever the environment says
        return {"", true, *data_dir, "--data-dir"};
    }
    if (char const *v = env("MIDILIB_DB")) {
        return {v, false, {}, "MIDILIB_DB"};
    }
    if (char const *v = env("DATABASE_URL")) {
        return {v, false, {}, "DATABASE_URL"};
    }
    for (char const *name : LIBPQ_VARIABLES) {
        if (env(name) != nullptr) {
            return {"", false, {}, name};
        }
    }
    return {"", true, embedded_cluster::default_data_dir(), "embedded"};
}

std::string connect_string(database_choice const &choice)
{
    if (!choice.embedded) {
        return choice.conninfo;
    }
    embedded_cluster cluster{choice.data_dir};
    cluster.ensure_running();
    return cluster.conninfo();
}

} // namespace midilib
