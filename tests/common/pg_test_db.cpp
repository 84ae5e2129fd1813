#include "tests/common/pg_test_db.hpp"

#include "db/migrator.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <stdexcept>

namespace midilib::testing {

namespace {

std::atomic<int> g_counter{0};

pqxx::connection admin_connection()
{
    try {
        return pqxx::connection{""};
    } catch (pqxx::broken_connection const &e) {
        throw std::runtime_error{fmt::format(
            "no PostgreSQL server reachable through the PG* variables ({}); run the tests under pg_virtualenv: "
            "pg_virtualenv ctest --test-dir build --output-on-failure",
            e.what())};
    }
}

} // namespace

temp_database::temp_database()
: m_name(fmt::format("midilib_test_{}_{}_{}", ::getpid(), std::time(nullptr), g_counter++))
{
    {
        auto cx = admin_connection();
        pqxx::nontransaction tx{cx};
        tx.exec0("CREATE DATABASE " + tx.quote_name(m_name));
    }
    m_conninfo = "dbname=" + m_name;
    pqxx::connection cx{m_conninfo};
    migrate_up(cx, load_migrations(migrations_dir()));
}

temp_database::~temp_database()
{
    if (std::getenv("MIDILIB_KEEP_TEST_DB") != nullptr) {
        return;
    }
    try {
        auto cx = admin_connection();
        pqxx::nontransaction tx{cx};
        tx.exec0("DROP DATABASE IF EXISTS " + tx.quote_name(m_name) + " WITH (FORCE)");
    } catch (std::exception const &e) {
        fmt::print(stderr, "could not drop test database {}: {}\n", m_name, e.what());
    }
}

long temp_database::count_rows(std::string const &table, std::string const &where) const
{
    return scalar<long>(fmt::format("SELECT count(*) FROM {} WHERE {}", table, where));
}

void temp_database::exec(std::string const &sql) const
{
    pqxx::connection cx{m_conninfo};
    pqxx::nontransaction tx{cx};
    tx.exec(sql);
}

std::filesystem::path corpus_dir()
{
    std::filesystem::path const p = std::filesystem::path{MIDILIB_SOURCE_DIR} / ".." / "shared" / "corpus";
    return std::filesystem::is_directory(p) ? p.lexically_normal() : std::filesystem::path{};
}

std::filesystem::path midilib_binary() { return MIDILIB_BINARY; }

void copy_writable(std::filesystem::path const &from, std::filesystem::path const &to)
{
    namespace fs = std::filesystem;
    auto const writable = [](fs::path const &p) {
        fs::permissions(p, fs::perms::owner_write | fs::perms::owner_read, fs::perm_options::add);
    };
    if (!fs::is_directory(from)) {
        fs::copy_file(from, to);
        writable(to);
        return;
    }
    fs::create_directory(to);
    writable(to);
    for (auto const &e : fs::directory_iterator{from}) {
        copy_writable(e.path(), to / e.path().filename());
    }
}

temp_dir::temp_dir()
{
    std::string tmpl = (std::filesystem::temp_directory_path() / "midilib-test-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
        throw std::runtime_error{"mkdtemp failed"};
    }
    m_path = tmpl;
}

temp_dir::~temp_dir()
{
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
}

} // namespace midilib::testing
