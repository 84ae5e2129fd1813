#include "db/migrator.hpp"

#include "db/sql_text.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace midilib {

namespace {

/// Arbitrary constant shared by every midilib process: the advisory lock key for migrations.
constexpr std::int64_t MIGRATION_LOCK_KEY = 0x6D69646C69620001; // "midlib" + 1

constexpr char const *CREATE_LEDGER = R"(
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     integer PRIMARY KEY,
    name        text        NOT NULL,
    checksum    text,
    applied_at  timestamptz NOT NULL DEFAULT now(),
    duration_ms double precision,
    applied_by  text        NOT NULL DEFAULT current_user
))";

constexpr char const *SELECT_APPLIED = "SELECT version FROM schema_migrations ORDER BY version";

constexpr char const *RECORD_APPLIED = R"(
INSERT INTO schema_migrations (version, name, checksum, duration_ms) VALUES ($1, $2, $3, $4)
ON CONFLICT (version) DO UPDATE SET checksum = EXCLUDED.checksum, duration_ms = EXCLUDED.duration_ms)";

std::string checksum_of(std::string const &bytes)
{
    auto const h = XXH3_128bits(bytes.data(), bytes.size());
    return fmt::format("{:016x}{:016x}", h.high64, h.low64);
}

} // namespace

std::filesystem::path migrations_dir()
{
    if (char const *env = std::getenv("MIDILIB_MIGRATIONS_DIR"); env != nullptr && *env != '\0') {
        return env;
    }
    return MIDILIB_MIGRATIONS_DIR;
}

std::vector<migration> load_migrations(std::filesystem::path const &dir)
{
    static std::regex const NAME{R"(^(\d{4})_([a-z0-9_]+)\.sql$)"};
    std::vector<migration> out;
    if (!std::filesystem::is_directory(dir)) {
        throw std::runtime_error{fmt::format("migrations folder {} not found (set MIDILIB_MIGRATIONS_DIR)", dir.string())};
    }
    for (auto const &entry : std::filesystem::directory_iterator{dir}) {
        auto const fname = entry.path().filename().string();
        std::smatch m;
        if (!std::regex_match(fname, m, NAME)) {
            continue;
        }
        std::ifstream in{entry.path(), std::ios::binary};
        std::ostringstream body;
        body << in.rdbuf();
        migration mig{std::stoi(m[1]), m[2], entry.path(), body.str(), {}};
        mig.checksum = checksum_of(mig.sql);
        out.push_back(std::move(mig));
    }
    std::sort(out.begin(), out.end(), [](auto const &a, auto const &b) { return a.version < b.version; });
    for (std::size_t i = 1; i < out.size(); ++i) {
        if (out[i].version == out[i - 1].version) {
            throw std::runtime_error{fmt::format("two migrations have version {:04}", out[i].version)};
        }
    }
    return out;
}

namespace {

void exec_alone(pqxx::connection &cx, std::string const &sql)
{
    log_sql("migrate", sql);
    pqxx::nontransaction tx{cx};
    tx.exec(sql);
}

std::vector<int> applied_versions(pqxx::connection &cx)
{
    std::vector<int> done;
    pqxx::nontransaction tx{cx};
    for (auto const &row : tx.exec(SELECT_APPLIED)) {
        done.push_back(row[0].as<int>());
    }
    return done;
}

int apply_pending(pqxx::connection &cx, std::vector<migration> const &known)
{
    exec_alone(cx, CREATE_LEDGER);
    auto const done = applied_versions(cx);
    int const newest_known = known.empty() ? 0 : known.back().version;
    if (!done.empty() && done.back() > newest_known) {
        throw std::runtime_error{fmt::format(
            "the database is at schema version {:04} but this midilib knows only up to {:04}; "
            "upgrade midilib (or point it at another database): it will not touch a newer schema",
            done.back(), newest_known)};
    }
    int applied = 0;
    for (auto const &mig : known) {
        if (std::binary_search(done.begin(), done.end(), mig.version)) {
            continue;
        }
        auto const start = std::chrono::steady_clock::now();
        pqxx::work tx{cx};
        log_sql("migrate", mig.file.filename().string());
        tx.exec(mig.sql);
        double const ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        tx.exec_params0(RECORD_APPLIED, mig.version, mig.name, mig.checksum, ms);
        tx.commit();
        spdlog::info("applied migration {:04}_{} in {:.0f} ms", mig.version, mig.name, ms);
        ++applied;
    }
    return applied;
}

} // namespace

int migrate_up(pqxx::connection &cx, std::vector<migration> const &known)
{
    exec_alone(cx, fmt::format("SELECT pg_advisory_lock({})", MIGRATION_LOCK_KEY));
    int applied = 0;
    try {
        applied = apply_pending(cx, known);
    } catch (...) {
        if (cx.is_open()) {
            exec_alone(cx, fmt::format("SELECT pg_advisory_unlock({})", MIGRATION_LOCK_KEY));
        }
        throw;
    }
    exec_alone(cx, fmt::format("SELECT pg_advisory_unlock({})", MIGRATION_LOCK_KEY));
    return applied;
}

} // namespace midilib
