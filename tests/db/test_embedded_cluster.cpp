// The embedded default database: created, started, reused, stopped, recovered after a kill.

#include "db/embedded_cluster.hpp"
#include "tests/common/pg_test_db.hpp"

#include <libpq-fe.h>
#include <pqxx/pqxx>

#include <gtest/gtest.h>

#include <csignal>
#include <thread>

namespace midilib::testing {
namespace {

std::string setting(std::string const &conninfo, std::string const &name)
{
    pqxx::connection cx{conninfo};
    pqxx::nontransaction tx{cx};
    return tx.exec1("SHOW " + name)[0].as<std::string>();
}

// A new cluster starts on a private socket with no TCP and the bulk-load settings; it survives stop and SIGKILL.
TEST(embedded_cluster, lifecycle)
{
    temp_dir dir;
    std::filesystem::permissions(dir.path(), std::filesystem::perms::all, std::filesystem::perm_options::add);
    embedded_cluster cluster{dir.path() / "pg"};
    EXPECT_FALSE(cluster.status().initialized);
    cluster.ensure_running();
    auto st = cluster.status();
    EXPECT_TRUE(st.initialized);
    ASSERT_TRUE(st.running);
    EXPECT_EQ(setting(cluster.conninfo(), "listen_addresses"), "");
    EXPECT_EQ(setting(cluster.conninfo(), "synchronous_commit"), "off");
    cluster.ensure_running(); // idempotent

    cluster.stop();
    EXPECT_FALSE(cluster.status().running);
    cluster.ensure_running();
    st = cluster.status();
    ASSERT_TRUE(st.running);

    ::kill(static_cast<pid_t>(st.pid), SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds{300});
    cluster.ensure_running();
    EXPECT_TRUE(cluster.status().running);
    EXPECT_EQ(setting(cluster.conninfo(), "server_version_num").substr(0, 2), "15");
    cluster.stop();
}

// A server that is restarting itself after a crash (here a backend killed; in the disk_full test a
// PANIC) is waited for, not started a second time: the same postmaster is up again afterwards.
TEST(embedded_cluster, server_recovering_from_a_crash_is_waited_for)
{
    temp_dir dir;
    std::filesystem::permissions(dir.path(), std::filesystem::perms::all, std::filesystem::perm_options::add);
    embedded_cluster cluster{dir.path() / "pg"};
    cluster.ensure_running();
    auto const postmaster = cluster.status().pid;
    pqxx::connection cx{cluster.conninfo()};
    {
        pqxx::nontransaction tx{cx};
        tx.exec0("CREATE TABLE wal_to_replay (g int, s text)");
        tx.exec0("SET synchronous_commit = on"); // the embedded default, off, may lose the last commits in a crash
        // ~100 MB of WAL since the last checkpoint: crash recovery replays it for about half a second
        tx.exec0("INSERT INTO wal_to_replay SELECT g, md5(g::text) FROM generate_series(1, 1000000) g");
    }
    auto const backend = pqxx::nontransaction{cx}.exec1("SELECT pg_backend_pid()")[0].as<int>();
    ASSERT_EQ(::kill(backend, SIGKILL), 0);

    // The postmaster answers "rejecting" while it resets and replays; call ensure_running() then.
    auto const until = std::chrono::steady_clock::now() + std::chrono::seconds{10};
    while (PQping(cluster.conninfo().c_str()) != PQPING_REJECT && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds{5});
    }
    bool const seen_recovering = PQping(cluster.conninfo().c_str()) == PQPING_REJECT;
    cluster.ensure_running();
    auto const st = cluster.status();
    EXPECT_TRUE(st.running);
    EXPECT_EQ(st.pid, postmaster) << "a second server was started";
    pqxx::connection after{cluster.conninfo()};
    EXPECT_EQ(pqxx::nontransaction{after}.exec1("SELECT count(*) FROM wal_to_replay")[0].as<long>(), 1000000);
    cluster.stop();
    if (!seen_recovering) {
        GTEST_SKIP() << "the recovery ended before it could be seen; the waiting was not exercised";
    }
}

// Two threads starting the same new cluster at once both succeed.
TEST(embedded_cluster, concurrent_start)
{
    temp_dir dir;
    std::filesystem::permissions(dir.path(), std::filesystem::perms::all, std::filesystem::perm_options::add);
    auto const pg = dir.path() / "pg";
    std::exception_ptr errors[2];
    std::thread a{[&] {
        try {
            embedded_cluster{pg}.ensure_running();
        } catch (...) {
            errors[0] = std::current_exception();
        }
    }};
    std::thread b{[&] {
        try {
            embedded_cluster{pg}.ensure_running();
        } catch (...) {
            errors[1] = std::current_exception();
        }
    }};
    a.join();
    b.join();
    EXPECT_FALSE(errors[0]);
    EXPECT_FALSE(errors[1]);
    embedded_cluster cluster{pg};
    EXPECT_TRUE(cluster.status().running);
    cluster.stop();
}

// A folder too long for a Unix socket path is refused with a sentence, not a cryptic server error.
TEST(embedded_cluster, long_path_is_refused_clearly)
{
    embedded_cluster cluster{std::filesystem::temp_directory_path() / std::string(120, 'x')};
    try {
        cluster.ensure_running();
        FAIL() << "expected an error";
    } catch (std::runtime_error const &e) {
        EXPECT_NE(std::string{e.what()}.find("too long"), std::string::npos) << e.what();
    }
}

} // namespace
} // namespace midilib::testing
