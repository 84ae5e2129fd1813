#include "tests/common/process.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
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

} // namespace midilib::testing
