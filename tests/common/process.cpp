#include "tests/common/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <spawn.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <utility>

extern char **environ;

namespace midilib::testing {

child::child(child &&other) noexcept : pid{other.pid}, stdout_file{std::move(other.stdout_file)}
{
    other.stdout_file.clear();
}

child &child::operator=(child &&other) noexcept
{
    if (this != &other) {
        if (!stdout_file.empty()) {
            ::unlink(stdout_file.c_str());
        }
        pid = other.pid;
        stdout_file = std::move(other.stdout_file);
        other.stdout_file.clear();
    }
    return *this;
}

child::~child()
{
    if (!stdout_file.empty()) {
        ::unlink(stdout_file.c_str());
    }
}

child spawn(std::vector<std::string> const &args)
{
    child c;
    char tmpl[] = "/tmp/midilib-child-XXXXXX";
    int const fd = ::mkstemp(tmpl);
    if (fd < 0) {
        throw std::runtime_error{"mkstemp failed"};
    }
    c.stdout_file = tmpl;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fd, STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fd);
    std::vector<char *> argv;
    for (auto const &a : args) {
        argv.push_back(const_cast<char *>(a.c_str()));
    }
    argv.push_back(nullptr);
    int const rc = posix_spawnp(&c.pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fd);
    if (rc != 0) {
        throw std::runtime_error{"posix_spawn failed for " + args[0]};
    }
    return c;
}

int wait_for(child const &c)
{
    int status = 0;
    while (::waitpid(c.pid, &status, 0) < 0) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::pair<int, std::string> run(std::vector<std::string> const &args)
{
    auto const c = spawn(args);
    int const code = wait_for(c);
    std::ifstream in{c.stdout_file};
    std::stringstream out;
    out << in.rdbuf();
    return {code, out.str()};
}

std::string stdout_of(child const &c)
{
    std::ifstream in{c.stdout_file};
    return {std::istreambuf_iterator<char>{in}, {}};
}

std::vector<std::string> with_timeout(int seconds, std::vector<std::string> const &command)
{
    std::vector<std::string> all{"timeout", std::to_string(seconds)};
    all.insert(all.end(), command.begin(), command.end());
    return all;
}

namespace {

std::string temp_file()
{
    char tmpl[] = "/tmp/midilib-captured-XXXXXX";
    int const fd = ::mkstemp(tmpl);
    if (fd < 0) {
        throw std::runtime_error{"mkstemp failed"};
    }
    ::close(fd);
    return tmpl;
}

std::string slurp(std::string const &file)
{
    std::ifstream in{file};
    return {std::istreambuf_iterator<char>{in}, {}};
}

} // namespace

captured_child::captured_child(std::vector<std::string> const &args)
: m_out(temp_file()), m_err(temp_file()), m_start(std::chrono::steady_clock::now())
{
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, m_out.c_str(), O_WRONLY | O_TRUNC, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, m_err.c_str(), O_WRONLY | O_TRUNC, 0);
    std::vector<char *> argv;
    for (auto const &a : args) {
        argv.push_back(const_cast<char *>(a.c_str()));
    }
    argv.push_back(nullptr);
    int const rc = posix_spawnp(&m_pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        m_pid = -1;
        ::unlink(m_out.c_str());
        ::unlink(m_err.c_str());
        throw std::system_error{rc, std::generic_category(), "posix_spawnp " + args[0]};
    }
}

captured_child::captured_child(captured_child &&other) noexcept
: m_pid(std::exchange(other.m_pid, -1)), m_out(std::move(other.m_out)), m_err(std::move(other.m_err)),
  m_start(other.m_start)
{
    other.m_out.clear();
    other.m_err.clear();
}

captured_child::~captured_child()
{
    if (m_pid > 0) {
        ::kill(m_pid, SIGKILL);
        ::waitpid(m_pid, nullptr, 0);
    }
    if (!m_out.empty()) {
        ::unlink(m_out.c_str());
        ::unlink(m_err.c_str());
    }
}

finished captured_child::finish(std::chrono::seconds limit)
{
    finished r;
    int status = 0;
    if (!wait_until([&] { return ::waitpid(m_pid, &status, WNOHANG) == m_pid; }, limit)) {
        r.hung = true;
        ::kill(m_pid, SIGKILL);
        ::waitpid(m_pid, &status, 0);
    }
    m_pid = -1;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = slurp(m_out);
    r.err = slurp(m_err);
    return r;
}

finished run_captured(std::vector<std::string> const &args, std::chrono::seconds limit)
{
    return captured_child{args}.finish(limit);
}

finished run_on_terminal(std::vector<std::string> const &args, std::chrono::seconds limit)
{
    termios raw{};
    ::cfmakeraw(&raw); // no output processing: a "\n" written is a "\n" read
    winsize size{};
    size.ws_row = 50;
    size.ws_col = 200;
    int master = -1;
    int slave = -1;
    if (::openpty(&master, &slave, nullptr, &raw, &size) != 0) {
        throw std::system_error{errno, std::generic_category(), "openpty"};
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    for (int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) {
        posix_spawn_file_actions_adddup2(&actions, slave, fd);
    }
    posix_spawn_file_actions_addclose(&actions, slave);
    posix_spawn_file_actions_addclose(&actions, master);
    std::vector<char *> argv;
    for (auto const &a : args) {
        argv.push_back(const_cast<char *>(a.c_str()));
    }
    argv.push_back(nullptr);
    pid_t pid = -1;
    auto const start = std::chrono::steady_clock::now();
    int const rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(slave);
    if (rc != 0) {
        ::close(master);
        throw std::system_error{rc, std::generic_category(), "posix_spawnp " + args[0]};
    }
    finished r;
    // Read until every copy of the terminal is closed (EIO), so nothing the command wrote is lost.
    std::array<char, 4096> buf{};
    while (true) {
        if (std::chrono::steady_clock::now() - start > limit) {
            r.hung = true;
            ::kill(pid, SIGKILL);
            break;
        }
        pollfd p{master, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) {
            continue;
        }
        auto const n = ::read(master, buf.data(), buf.size());
        if (n <= 0) {
            break;
        }
        r.out.append(buf.data(), static_cast<std::size_t>(n));
    }
    ::close(master);
    int status = 0;
    ::waitpid(pid, &status, 0);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return r;
}

} // namespace midilib::testing
