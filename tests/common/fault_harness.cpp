#include "tests/common/fault_harness.hpp"

#include "db/embedded_cluster.hpp"
#include "tests/common/midilib_cli.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <utility>

namespace midilib::testing {

namespace fs = std::filesystem;

namespace {

constexpr char const *PG_BIN = "/usr/lib/postgresql/15/bin";

} // namespace

finished run_to_end(std::vector<std::string> const &args) { return run_captured(args, HANG_LIMIT); }

void expect_one_clear_line(finished const &r, std::vector<std::string> const &any_of)
{
    EXPECT_FALSE(r.hung) << "midilib did not exit within " << HANG_LIMIT.count() << " s";
    EXPECT_EQ(r.code, 1) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "stderr:\n" << r.err;
    EXPECT_TRUE(r.err.starts_with("error: ")) << r.err;
    EXPECT_TRUE(std::any_of(any_of.begin(), any_of.end(), [&](auto const &words) {
        return r.err.find(words) != std::string::npos;
    })) << r.err;
    std::cout << "midilib said: " << r.err;
}

long scalar_long(pqxx::connection &cx, std::string const &sql)
{
    pqxx::nontransaction tx{cx};
    return tx.exec1(sql)[0].as<long>();
}

insert_gate::insert_gate(std::string conninfo, std::string table)
: m_conninfo(std::move(conninfo)), m_table(std::move(table))
{
    {
        pqxx::connection cx{m_conninfo};
        pqxx::nontransaction tx{cx};
        tx.exec0("CREATE SEQUENCE fault_gate_seq");
        tx.exec0(fmt::format("CREATE FUNCTION fault_gate() RETURNS trigger LANGUAGE plpgsql AS $$"
                             " BEGIN IF nextval('fault_gate_seq') > 1 THEN PERFORM pg_advisory_xact_lock_shared({});"
                             " END IF; RETURN NULL; END $$",
                             KEY));
        tx.exec0("CREATE TRIGGER fault_gate AFTER INSERT ON " + m_table +
                 " FOR EACH STATEMENT EXECUTE FUNCTION fault_gate()");
    }
    m_holder = std::make_unique<pqxx::connection>(m_conninfo);
    pqxx::nontransaction tx{*m_holder};
    tx.exec(fmt::format("SELECT pg_advisory_lock({})", KEY));
}

long insert_gate::held(pqxx::connection &observer) const
{
    return scalar_long(observer, fmt::format("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                                             " AND NOT granted AND objid = {}",
                                             KEY));
}

void insert_gate::release()
{
    if (!m_holder) {
        return;
    }
    try {
        pqxx::nontransaction tx{*m_holder};
        tx.exec(fmt::format("SELECT pg_advisory_unlock({})", KEY));
    } catch (pqxx::broken_connection const &) {
    }
    m_holder.reset();
}

void insert_gate::remove()
{
    release();
    pqxx::connection cx{m_conninfo};
    pqxx::nontransaction tx{cx};
    tx.exec0("DROP TRIGGER fault_gate ON " + m_table);
    tx.exec0("DROP FUNCTION fault_gate()");
    tx.exec0("DROP SEQUENCE fault_gate_seq");
}

bool caught_mid_run(std::string const &conninfo, insert_gate const &gate, std::string const &committed_sql)
{
    pqxx::connection observer{conninfo};
    return wait_until([&] { return scalar_long(observer, committed_sql) > 0 && gate.held(observer) > 0; }, HANG_LIMIT);
}

long terminate_sessions(std::string const &conninfo, std::string const &pattern)
{
    pqxx::connection cx{conninfo};
    pqxx::nontransaction tx{cx};
    return tx
        .exec_params1("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
                      " WHERE application_name LIKE $1 AND datname = current_database() AND pid <> pg_backend_pid()",
                      pattern)[0]
        .as<long>();
}

embedded_server::embedded_server(fs::path dir) : m_dir(std::move(dir)) {}

embedded_server::~embedded_server()
{
    if (fs::exists(m_dir / "data" / "postmaster.pid")) {
        stop_immediately();
    }
}

std::vector<std::string> embedded_server::cli(std::vector<std::string> const &args) const
{
    return midilib_data_dir_command(m_dir, args);
}

std::string embedded_server::conninfo() const { return embedded_cluster{m_dir}.conninfo(); }

std::string embedded_server::create_database(std::string const &name) const
{
    {
        pqxx::connection cx{conninfo()};
        pqxx::nontransaction tx{cx};
        tx.exec0("CREATE DATABASE " + name);
    }
    auto info = conninfo();
    info.replace(info.find("dbname=midilib"), std::strlen("dbname=midilib"), "dbname=" + name);
    return info;
}

void embedded_server::stop_immediately() const
{
    std::vector<std::string> args{
        (fs::path{PG_BIN} / "pg_ctl").string(), "stop", "-m", "immediate", "-w", "-D", (m_dir / "data").string()};
    if (::geteuid() == 0) { // pg_ctl refuses root; the server runs as postgres
        args.insert(args.begin(), {"runuser", "-u", "postgres", "--"});
    }
    auto const r = run_to_end(args);
    EXPECT_EQ(r.code, 0) << r.out << r.err;
}

shared_temp_dir::shared_temp_dir()
{
    fs::permissions(path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                fs::perms::others_read | fs::perms::others_exec);
}

tmpfs_mount::tmpfs_mount(fs::path dir) : m_dir(std::move(dir)) {}

tmpfs_mount::~tmpfs_mount()
{
    if (m_mounted && ::umount2(m_dir.c_str(), 0) != 0) {
        ::umount2(m_dir.c_str(), MNT_DETACH);
    }
}

std::string tmpfs_mount::resize(std::uint64_t mib)
{
    auto const options = fmt::format("size={}m,mode=0755", mib);
    if (::mount("tmpfs", m_dir.c_str(), "tmpfs", m_mounted ? MS_REMOUNT : 0, options.c_str()) != 0) {
        return std::strerror(errno);
    }
    m_mounted = true;
    return {};
}

std::uint64_t tmpfs_mount::used_mib() const
{
    struct statvfs s
    {
    };
    ::statvfs(m_dir.c_str(), &s);
    return ((s.f_blocks - s.f_bfree) * s.f_frsize + (1U << 20U) - 1) >> 20U;
}

} // namespace midilib::testing
