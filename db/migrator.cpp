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

constexpr char const *SELECT_APPLIED =
    "SELECT version, name, checksum, to_char(applied_at, 'YYYY-MM-DD HH24:MI:SS TZ'), applied_by, duration_ms"
    " FROM schema_migrations ORDER BY version";

constexpr char const *RECORD_CHECKSUM =
    "UPDATE schema_migrations SET checksum = $2, duration_ms = coalesce($3, duration_ms) WHERE version = $1";

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
        throw std::runtime_error{
            fmt::format("migrations folder {} not found (set MIDILIB_MIGRATIONS_DIR)", dir.string())};
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
        migration mig{std::stoi(m[1]), m[2], entry.path(), body.str(), {}, true};
        mig.checksum = checksum_of(mig.sql);
        mig.transactional = mig.sql.rfind(NO_TRANSACTION_HEADER, 0) != 0;
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

std::vector<applied_migration> applied_migrations(pqxx::connection &cx)
{
    std::vector<applied_migration> out;
    pqxx::nontransaction tx{cx};
    if (tx.exec1("SELECT to_regclass('schema_migrations') IS NOT NULL")[0].as<bool>() == false) {
        return out;
    }
    for (auto const &row : tx.exec(SELECT_APPLIED)) {
        applied_migration a;
        a.version = row[0].as<int>();
        a.name = row[1].as<std::string>();
        if (!row[2].is_null()) {
            a.checksum = row[2].as<std::string>();
        }
        a.applied_at = row[3].as<std::string>();
        a.applied_by = row[4].as<std::string>();
        if (!row[5].is_null()) {
            a.duration_ms = row[5].as<double>();
        }
        out.push_back(std::move(a));
    }
    return out;
}

std::vector<std::string> split_statements(std::string const &sql)
{
    std::vector<std::string> out;
    std::string current;
    std::istringstream in{sql};
    std::string line;
    while (std::getline(in, line)) {
        current += line;
        current += '\n';
        auto const end = line.find_last_not_of(" \t\r");
        bool const comment = line.find_first_not_of(" \t") != std::string::npos &&
                             line.compare(line.find_first_not_of(" \t"), 2, "--") == 0;
        if (end != std::string::npos && line[end] == ';' && !comment) {
            out.push_back(std::move(current));
            current.clear();
        }
    }
    if (current.find_first_not_of(" \t\r\n") != std::string::npos) {
        // only comments may follow the last statement
        std::istringstream rest{current};
        while (std::getline(rest, line)) {
            auto const first = line.find_first_not_of(" \t\r");
            if (first != std::string::npos && line.compare(first, 2, "--") != 0) {
                out.push_back(current);
                break;
            }
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

/// Runs one file as psql would: a transactional file brings its own BEGIN/COMMIT.
void run_file(pqxx::connection &cx, migration const &mig)
{
    log_sql("migrate", mig.file.filename().string());
    if (mig.transactional) {
        try {
            exec_alone(cx, mig.sql);
        } catch (pqxx::sql_error const &) {
            if (cx.is_open()) {
                exec_alone(cx, "ROLLBACK"); // the file's transaction stopped at the error
            }
            throw;
        }
        return;
    }
    for (auto const &statement : split_statements(mig.sql)) {
        exec_alone(cx, statement); // CREATE INDEX CONCURRENTLY cannot share a query string
    }
}

std::string newer_schema_sentence(int db_version, int newest_known)
{
    return fmt::format("the database is at schema version {:04} but this midilib knows only up to {:04}; "
                       "upgrade midilib (or point it at another database): it will not touch a newer schema",
                       db_version, newest_known);
}

int apply_pending(pqxx::connection &cx, std::vector<migration> const &known)
{
    auto const applied = applied_migrations(cx);
    int const newest_known = known.empty() ? 0 : known.back().version;
    if (!applied.empty() && applied.back().version > newest_known) {
        throw std::runtime_error{newer_schema_sentence(applied.back().version, newest_known)};
    }
    int count = 0;
    for (auto const &mig : known) {
        auto const row = std::find_if(applied.begin(), applied.end(),
                                      [&](auto const &a) { return a.version == mig.version; });
        if (row != applied.end()) {
            if (!row->checksum) {
                pqxx::nontransaction tx{cx};
                tx.exec_params0(RECORD_CHECKSUM, mig.version, mig.checksum, std::optional<double>{});
                spdlog::info("migration {:04}_{} was applied by hand; its checksum is recorded now", mig.version,
                             mig.name);
            }
            continue;
        }
        auto const start = std::chrono::steady_clock::now();
        run_file(cx, mig);
        double const ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        pqxx::nontransaction tx{cx};
        auto const r = tx.exec_params(RECORD_CHECKSUM, mig.version, mig.checksum, ms);
        if (r.affected_rows() != 1) {
            throw std::runtime_error{fmt::format("{} ran but did not record itself in schema_migrations "
                                                 "(each migration must end with its INSERT INTO schema_migrations)",
                                                 mig.file.string())};
        }
        spdlog::info("applied migration {:04}_{} in {:.0f} ms", mig.version, mig.name, ms);
        ++count;
    }
    return count;
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

std::vector<migration_drift> verify_migrations(std::vector<migration> const &known,
                                               std::vector<applied_migration> const &applied)
{
    std::vector<migration_drift> out;
    int const newest_known = known.empty() ? 0 : known.back().version;
    for (auto const &a : applied) {
        auto const file = std::find_if(known.begin(), known.end(),
                                       [&](auto const &m) { return m.version == a.version; });
        if (a.version > newest_known) {
            out.push_back({a.version, newer_schema_sentence(a.version, newest_known)});
        } else if (file == known.end()) {
            out.push_back({a.version, fmt::format("migration {:04}_{} is applied but its file is missing from {}",
                                                  a.version, a.name, migrations_dir().string())});
        } else if (a.checksum && *a.checksum != file->checksum) {
            out.push_back(
                {a.version, fmt::format("{} changed after it was applied on {} (checksum {} recorded, {} now); "
                                        "write a new migration instead of editing an applied one",
                                        file->file.string(), a.applied_at, *a.checksum, file->checksum)});
        }
    }
    return out;
}

std::string pending_sql(std::vector<migration> const &known, std::vector<applied_migration> const &applied)
{
    std::string out;
    for (auto const &mig : known) {
        if (std::any_of(applied.begin(), applied.end(), [&](auto const &a) { return a.version == mig.version; })) {
            continue;
        }
        out += fmt::format("-- ==== {} (pending{}) ====\n", mig.file.filename().string(),
                           mig.transactional ? "" : ", runs outside a transaction");
        out += mig.sql;
        if (!out.empty() && out.back() != '\n') {
            out += '\n';
        }
        out += '\n';
    }
    return out;
}

} // namespace midilib
