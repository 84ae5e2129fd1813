#include "db/embedded_cluster.hpp"

#include <fmt/format.h>
#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

namespace midilib {

namespace fs = std::filesystem;

namespace {

constexpr char const *PG_BIN = "/usr/lib/postgresql/15/bin";
/// sun_path holds 108 bytes; the socket file name adds "/.s.PGSQL.5432".
constexpr std::size_t MAX_SOCKET_DIR = 90;

bool is_root() { return ::geteuid() == 0; }

std::string pg_tool(char const *name)
{
    auto const p = fs::path{PG_BIN} / name;
    if (!fs::exists(p)) {
        throw std::runtime_error{
            fmt::format("{} not found: the embedded database needs the PostgreSQL 15 server; install it with: "
                        "apt-get install postgresql-15 (or configure a database with --db)",
                        p.string())};
    }
    return p.string();
}

/// Runs argv (as the postgres user when root), returns {exit code, output}.
std::pair<int, std::string> run_tool(std::vector<std::string> args)
{
    if (is_root()) {
        args.insert(args.begin(), {"runuser", "-u", "postgres", "--"});
    }
    int pipefd[2];
    if (::pipe(pipefd) != 0) {
        throw std::runtime_error{"pipe failed"};
    }
    pid_t const pid = ::fork();
    if (pid == 0) {
        ::dup2(pipefd[1], STDOUT_FILENO);
        ::dup2(pipefd[1], STDERR_FILENO);
        ::close(pipefd[0]);
        ::close(pipefd[1]);
        std::vector<char *> argv;
        for (auto &a : args) {
            argv.push_back(a.data());
        }
        argv.push_back(nullptr);
        ::execvp(argv[0], argv.data());
        ::_exit(127);
    }
    ::close(pipefd[1]);
    std::string out;
    char buf[4096];
    ssize_t n = 0;
    while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0) {
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(pipefd[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), out};
}

std::string tail_of(fs::path const &file, int lines)
{
    std::ifstream in{file};
    std::vector<std::string> all;
    std::string line;
    while (std::getline(in, line)) {
        all.push_back(line);
    }
    std::string out;
    for (std::size_t i = all.size() > static_cast<std::size_t>(lines) ? all.size() - lines : 0; i < all.size(); ++i) {
        out += all[i] + '\n';
    }
    return out;
}

passwd const &postgres_user()
{
    passwd const *pw = ::getpwnam("postgres");
    if (pw == nullptr) {
        throw std::runtime_error{"user postgres not found: install postgresql-15"};
    }
    return *pw;
}

/// A file descriptor, closed when it goes.
class unique_fd
{
public:
    explicit unique_fd(int fd) : m_fd(fd) {}
    unique_fd(unique_fd const &) = delete;
    unique_fd &operator=(unique_fd const &) = delete;
    unique_fd(unique_fd &&other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
    unique_fd &operator=(unique_fd &&) = delete;
    ~unique_fd()
    {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
    }
    [[nodiscard]] int get() const noexcept { return m_fd; }

private:
    int m_fd;
};

/**
 * Opens @p name (relative to folder @p at) without following a symbolic link, and refuses it unless it is
 * owned by this user (as root: by root or the postgres user). Everything midilib changes or writes in the
 * cluster's folder goes through such descriptors, so that a link planted there (by whoever can write
 * beside it) cannot hand its target to the postgres user. \throws std::runtime_error, one line
 */
unique_fd open_owned(int at, char const *name, fs::path const &shown, int flags)
{
    unique_fd fd{::openat(at, name, flags | O_NOFOLLOW | O_CLOEXEC, 0644)};
    struct stat st
    {
    };
    if (fd.get() < 0) {
        int const err = errno;
        if (::fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
            throw std::runtime_error{fmt::format(
                "refusing to use {}: it is a symbolic link, and the owners and modes the embedded database sets there "
                "would be set on its target; remove the link or choose another --data-dir",
                shown.string())};
        }
        throw std::runtime_error{fmt::format("cannot open {}: {}", shown.string(), std::strerror(err))};
    }
    if (::fstat(fd.get(), &st) != 0) {
        throw std::runtime_error{fmt::format("cannot stat {}: {}", shown.string(), std::strerror(errno))};
    }
    bool const owned = is_root() ? (st.st_uid == 0 || st.st_uid == postgres_user().pw_uid) : st.st_uid == ::geteuid();
    if (!owned) {
        throw std::runtime_error{fmt::format("refusing to use {}: it is owned by uid {}, not by {}; the embedded "
                                             "database uses only folders of its own user",
                                             shown.string(), st.st_uid,
                                             is_root() ? "root or postgres" : std::to_string(::geteuid()))};
    }
    if ((flags & O_DIRECTORY) == 0 && (!S_ISREG(st.st_mode) || st.st_nlink != 1)) {
        throw std::runtime_error{fmt::format("refusing to write {}: not a plain file with one name", shown.string())};
    }
    return fd;
}

unique_fd open_owned_dir(int at, char const *name, fs::path const &shown)
{
    return open_owned(at, name, shown, O_RDONLY | O_DIRECTORY);
}

/// Hands the folder open as @p fd to the postgres user when root.
void chown_to_postgres(int fd, fs::path const &shown)
{
    if (!is_root()) {
        return;
    }
    auto const &pw = postgres_user();
    if (::fchown(fd, pw.pw_uid, pw.pw_gid) != 0) {
        throw std::runtime_error{fmt::format("cannot hand {} to the postgres user", shown.string())};
    }
}

/// Writes (or with @p append, adds) @p text to @p name in the folder open as @p at.
void write_owned(int at, char const *name, fs::path const &shown, std::string_view text, bool append)
{
    auto const fd = open_owned(at, name, shown, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC));
    while (!text.empty()) {
        auto const n = ::write(fd.get(), text.data(), text.size());
        if (n <= 0) {
            throw std::runtime_error{fmt::format("cannot write {}: {}", shown.string(), std::strerror(errno))};
        }
        text.remove_prefix(static_cast<std::size_t>(n));
    }
}

/// Serializes initdb/start between processes with an flock on <dir>/.lock.
class dir_lock
{
public:
    dir_lock(int dir_fd, fs::path const &file)
    : m_fd(::openat(dir_fd, ".lock", O_CREAT | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0600))
    {
        if (m_fd < 0 || ::flock(m_fd, LOCK_EX) != 0) {
            throw std::runtime_error{fmt::format("cannot lock {}", file.string())};
        }
    }
    dir_lock(dir_lock const &) = delete;
    dir_lock &operator=(dir_lock const &) = delete;
    dir_lock(dir_lock &&) = delete;
    dir_lock &operator=(dir_lock &&) = delete;
    ~dir_lock() { ::close(m_fd); }

private:
    int m_fd;
};

std::string quote_conninfo(std::string const &v)
{
    std::string out{"'"};
    for (char const c : v) {
        if (c == '\'' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    return out + "'";
}

} // namespace

namespace {

/// Absolute, normal, without a trailing slash (with one, opening it would follow a link).
fs::path folder_path(fs::path dir)
{
    auto p = fs::absolute(std::move(dir)).lexically_normal();
    return p.has_filename() || p == p.root_path() ? p : p.parent_path();
}

} // namespace

embedded_cluster::embedded_cluster(fs::path dir)
: m_dir(folder_path(std::move(dir))), m_data(m_dir / "data"), m_socket_dir(m_dir / "run"), m_log(m_dir / "server.log")
{}

fs::path embedded_cluster::default_data_dir()
{
    if (char const *xdg = std::getenv("XDG_DATA_HOME"); xdg != nullptr && *xdg != '\0') {
        return fs::path{xdg} / "midilib" / "pg";
    }
    if (is_root()) {
        return "/var/lib/midilib/pg"; // root's home is not traversable by the postgres user
    }
    char const *home = std::getenv("HOME");
    return fs::path{home != nullptr ? home : "."} / ".local" / "share" / "midilib" / "pg";
}

std::string embedded_cluster::conninfo() const
{
    return fmt::format("host={} port=5432 dbname=midilib user=midilib", quote_conninfo(m_socket_dir.string()));
}

embedded_cluster::readiness embedded_cluster::ping() const
{
    auto const [code, out] = run_tool({pg_tool("pg_isready"), "-q", "-h", m_socket_dir.string(), "-p", "5432"});
    return code == 0 ? readiness::accepting : code == 1 ? readiness::rejecting : readiness::no_answer;
}

long embedded_cluster::live_postmaster() const
{
    long pid = 0;
    std::ifstream pidfile{m_data / "postmaster.pid"};
    pidfile >> pid;
    // EPERM: alive, but run by another user (the postgres user, when this is not root)
    bool const alive = pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
    return alive ? pid : 0;
}

bool embedded_cluster::wait_for_live_postmaster() const
{
    constexpr auto LIMIT = std::chrono::seconds{60};
    constexpr auto POLL = std::chrono::milliseconds{200};
    auto const until = std::chrono::steady_clock::now() + LIMIT;
    while (live_postmaster() != 0) {
        auto const state = ping();
        if (state == readiness::accepting) {
            spdlog::info("the embedded PostgreSQL in {} is up again", m_dir.string());
            return true;
        }
        if (state != readiness::rejecting || std::chrono::steady_clock::now() > until) {
            return false;
        }
        std::this_thread::sleep_for(POLL);
    }
    return false;
}

cluster_status embedded_cluster::status() const
{
    cluster_status s;
    s.data_dir = m_dir;
    s.conninfo = conninfo();
    s.initialized = fs::exists(m_data / "PG_VERSION");
    if (s.initialized) {
        s.pid = live_postmaster();
        s.running = s.pid != 0 && ping() == readiness::accepting;
    }
    return s;
}

void embedded_cluster::initialize(int dir_fd) const
{
    spdlog::info("initializing the embedded PostgreSQL cluster in {}", m_dir.string());
    auto const [code,
                out] = run_tool({pg_tool("initdb"), "-D", m_data.string(), "--username=midilib", "--auth-local=trust",
                                 "--auth-host=reject", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"});
    if (code != 0) {
        throw std::runtime_error{fmt::format("initdb failed in {}: {}", m_data.string(), out)};
    }
    std::ifstream conf_in{fs::path{MIDILIB_SOURCE_DIR} / "db" / "embedded_postgresql.conf"};
    std::stringstream conf;
    conf << conf_in.rdbuf();
    auto const data = open_owned_dir(dir_fd, "data", m_data);
    write_owned(data.get(), "midilib.conf", m_data / "midilib.conf",
                conf.str() + "\nunix_socket_directories = '" + m_socket_dir.string() +
                    "'\n# fixed, so that a PGPORT in the environment cannot move the server\nport = 5432\n",
                false);
    write_owned(data.get(), "postgresql.conf", m_data / "postgresql.conf", "\ninclude 'midilib.conf'\n", true);
}

void embedded_cluster::start() const
{
    /// After a crash the old server's children may hold shared memory for a moment; retry a few times.
    constexpr int START_ATTEMPTS = 5;
    int code = 0;
    std::string out;
    for (int attempt = 1; attempt <= START_ATTEMPTS; ++attempt) {
        if (wait_for_live_postmaster()) {
            return;
        }
        std::tie(code, out) = run_tool(
            {pg_tool("pg_ctl"), "start", "-w", "-t", "60", "-D", m_data.string(), "-l", m_log.string()});
        if (code == 0) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::seconds{1});
    }
    if (code != 0) {
        throw std::runtime_error{fmt::format("the embedded PostgreSQL did not start ({}): {}\nserver log:\n{}",
                                             m_dir.string(), out, tail_of(m_log, 20))};
    }
    spdlog::info("started the embedded PostgreSQL in {}", m_dir.string());
}

void embedded_cluster::create_database() const
{
    pqxx::connection cx{
        fmt::format("host={} port=5432 dbname=postgres user=midilib", quote_conninfo(m_socket_dir.string()))};
    pqxx::nontransaction tx{cx};
    if (tx.exec("SELECT 1 FROM pg_database WHERE datname = 'midilib'").empty()) {
        tx.exec0("CREATE DATABASE midilib");
    }
}

void embedded_cluster::ensure_running()
{
    // A folder or socket folder that is a link, or someone else's, is refused before anything talks to it.
    struct stat st
    {
    };
    if (::lstat(m_dir.c_str(), &st) == 0) {
        auto const dir = open_owned_dir(AT_FDCWD, m_dir.c_str(), m_dir);
        if (::fstatat(dir.get(), "run", &st, AT_SYMLINK_NOFOLLOW) == 0) {
            open_owned_dir(dir.get(), "run", m_socket_dir);
        }
    }
    try { // the common case, already running: one connection attempt, no child processes
        pqxx::connection cx{conninfo()};
        return;
    } catch (pqxx::broken_connection const &) {
    }
    if (m_socket_dir.string().size() > MAX_SOCKET_DIR) {
        throw std::runtime_error{fmt::format(
            "the embedded database folder {} is too long for a Unix socket path; choose a shorter --data-dir",
            m_dir.string())};
    }
    if (::lstat(m_dir.c_str(), &st) != 0) {
        fs::create_directories(m_dir);
    }
    // Owners and modes change only through descriptors opened without following links (open_owned).
    auto const dir = open_owned_dir(AT_FDCWD, m_dir.c_str(), m_dir);
    dir_lock lock{dir.get(), m_dir / ".lock"};
    if (is_root()) {
        chown_to_postgres(dir.get(), m_dir);
        auto const [code, out] = run_tool({"test", "-w", m_dir.string()});
        if (code != 0) {
            throw std::runtime_error{fmt::format(
                "the postgres user cannot write to {} (a parent folder is not traversable); choose another --data-dir",
                m_dir.string())};
        }
    }
    if (!fs::exists(m_data / "PG_VERSION")) {
        initialize(dir.get());
    }
    if (::mkdirat(dir.get(), "run", 0700) != 0 && errno != EEXIST) {
        throw std::runtime_error{fmt::format("cannot create {}: {}", m_socket_dir.string(), std::strerror(errno))};
    }
    auto const run = open_owned_dir(dir.get(), "run", m_socket_dir);
    if (::fchmod(run.get(), S_IRWXU) != 0) {
        throw std::runtime_error{
            fmt::format("cannot set the mode of {}: {}", m_socket_dir.string(), std::strerror(errno))};
    }
    chown_to_postgres(run.get(), m_socket_dir);
    if (!status().running) {
        start();
    }
    create_database();
}

void embedded_cluster::stop()
{
    if (!status().running) {
        return;
    }
    auto const [code, out] = run_tool({pg_tool("pg_ctl"), "stop", "-m", "fast", "-w", "-D", m_data.string()});
    if (code != 0) {
        throw std::runtime_error{fmt::format("pg_ctl stop failed: {}", out)};
    }
}

} // namespace midilib
