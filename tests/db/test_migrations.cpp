// Migrations: applied once, recorded, and a newer database is refused.

#include "db/migrator.hpp"
#include "tests/common/pg_test_db.hpp"
#include "tests/common/process.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace midilib::testing {
namespace {

// Every migration file is recorded once with its checksum; applying again changes nothing.
TEST(migrations, applied_once_and_recorded)
{
    temp_database db;
    auto const known = load_migrations(migrations_dir());
    ASSERT_FALSE(known.empty());
    EXPECT_EQ(db.count_rows("schema_migrations"), static_cast<long>(known.size()));
    EXPECT_EQ(db.count_rows("schema_migrations", "checksum IS NOT NULL"), static_cast<long>(known.size()));
    pqxx::connection cx{db.conninfo()};
    EXPECT_EQ(migrate_up(cx, known), 0);
}

// Four processes migrating an empty database at once apply each migration exactly once.
TEST(migrations, concurrent_migrate_applies_each_once)
{
    temp_database db;
    db.exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
    std::vector<child> children;
    for (int i = 0; i < 4; ++i) {
        children.push_back(spawn({midilib_binary().string(), "-q", "--db", db.conninfo(), "migrate"}));
    }
    for (auto const &c : children) {
        EXPECT_EQ(wait_for(c), 0);
    }
    EXPECT_EQ(db.count_rows("schema_migrations"), static_cast<long>(load_migrations(migrations_dir()).size()));
}

// A database one version ahead of the binary makes a command stop with a sentence saying what to do.
TEST(migrations, newer_database_is_refused)
{
    temp_database db;
    db.exec("INSERT INTO schema_migrations (version, name) VALUES (9999, 'from_the_future')");
    pqxx::connection cx{db.conninfo()};
    try {
        migrate_up(cx, load_migrations(migrations_dir()));
        FAIL() << "a newer schema must be refused";
    } catch (std::runtime_error const &e) {
        EXPECT_NE(std::string{e.what()}.find("upgrade midilib"), std::string::npos) << e.what();
    }
    auto const [code, out] = run({midilib_binary().string(), "-q", "--db", db.conninfo(), "search", "x"});
    EXPECT_EQ(code, 1);
}

} // namespace
} // namespace midilib::testing
