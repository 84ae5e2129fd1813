#pragma once
/// The embedded default database: a private PostgreSQL 15 cluster reachable through a Unix socket only.

#include <filesystem>
#include <string>

namespace midilib {

/// What `midilib db status` shows.
struct cluster_status
{
    std::filesystem::path data_dir;
    bool initialized = false; ///< initdb has run
    bool running = false;     ///< the server accepts connections
    long pid = 0;
    std::string conninfo;
};

/**
 * A cluster under one folder: <dir>/data (PostgreSQL's files), <dir>/run (the socket),
 * <dir>/server.log. As root the server runs as the unprivileged `postgres` user. The folder and
 * its run/ folder must be real folders (not links) of this user (as root: of root or postgres).
 */
class embedded_cluster
{
public:
    /// @param dir the cluster folder (created when missing)
    explicit embedded_cluster(std::filesystem::path dir);
    embedded_cluster(embedded_cluster const &) = delete;
    embedded_cluster &operator=(embedded_cluster const &) = delete;
    embedded_cluster(embedded_cluster &&) = delete;
    embedded_cluster &operator=(embedded_cluster &&) = delete;
    ~embedded_cluster() = default;

    /// $XDG_DATA_HOME/midilib/pg, else ~/.local/share/midilib/pg; as root without XDG_DATA_HOME, /var/lib/midilib/pg.
    static std::filesystem::path default_data_dir();

    /** Creates (initdb) and starts the cluster when needed and creates database "midilib". Safe to call concurrently.
        \throws std::runtime_error with the reason (and the server log's tail) */
    void ensure_running();
    /** Stops the server (fast shutdown); nothing when it is not running. \throws std::runtime_error */
    void stop();
    /// Whether it is initialized and running.
    [[nodiscard]] cluster_status status() const;
    /// libpq conninfo for database "midilib" over the socket.
    [[nodiscard]] std::string conninfo() const;

private:
    /// initdb, then midilib's settings written into data/ (@p dir_fd: the cluster folder, open)
    void initialize(int dir_fd) const;
    void start() const;
    void create_database() const;
    /// What pg_isready says of the socket: a session would start; the server answers but refuses
    /// sessions (starting up, or recovering after a crash); nothing answers.
    enum class readiness { accepting, rejecting, no_answer };
    [[nodiscard]] readiness ping() const;
    /// The pid in postmaster.pid when that process is alive, else 0.
    [[nodiscard]] long live_postmaster() const;
    /** A server that is alive but not accepting sessions yet (starting up, or restarting itself after
        a crash such as a PANIC on a full disk) is waited for, up to 60 s, rather than started a
        second time (pg_ctl start would only fail on its lock file). \returns whether it now accepts */
    [[nodiscard]] bool wait_for_live_postmaster() const;

    std::filesystem::path m_dir;
    std::filesystem::path m_data;
    std::filesystem::path m_socket_dir;
    std::filesystem::path m_log;
};

} // namespace midilib
