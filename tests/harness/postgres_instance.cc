#include "tests/harness/postgres_instance.h"

#include <fcntl.h>
#include <glob.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/pg/connection.h"
#include "tests/harness/ports.h"

namespace todo::testing {
namespace {

std::string FindBinDir() {
  if (const char* configured = std::getenv("PG_BIN_DIR"); configured != nullptr) {
    return configured;
  }
  glob_t matches;
  std::vector<std::string> dirs;
  if (glob("/usr/lib/postgresql/*/bin/initdb", 0, nullptr, &matches) == 0) {
    for (size_t i = 0; i < matches.gl_pathc; ++i) {
      dirs.push_back(std::filesystem::path(matches.gl_pathv[i]).parent_path());
    }
  }
  globfree(&matches);
  if (dirs.empty()) {
    return "";
  }
  // Highest major version wins (versions sort numerically by length first).
  std::sort(dirs.begin(), dirs.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  return dirs.back();
}

std::string Quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresInstance>> PostgresInstance::Start() {
  std::unique_ptr<PostgresInstance> instance(new PostgresInstance());
  instance->bin_dir_ = FindBinDir();
  if (instance->bin_dir_.empty()) {
    return absl::FailedPreconditionError(
        "no PostgreSQL server binaries (apt-get install postgresql, or set PG_BIN_DIR)");
  }
  char dir_template[] = "/tmp/todo-pgtest-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) {
    return absl::InternalError("cannot create a temporary folder");
  }
  const std::string root = dir_template;
  instance->data_dir_ = root + "/data";
  std::filesystem::create_directory(instance->data_dir_);
  if (geteuid() == 0) {
    passwd* postgres = getpwnam("postgres");
    if (postgres == nullptr) {
      return absl::FailedPreconditionError("running as root but there is no postgres user");
    }
    // /tmp is world-traversable; the folders must belong to postgres.
    if (chown(root.c_str(), postgres->pw_uid, postgres->pw_gid) != 0 ||
        chown(instance->data_dir_.c_str(), postgres->pw_uid, postgres->pw_gid) != 0) {
      return absl::InternalError("cannot hand the data folder to the postgres user");
    }
  }

  // The reaper: cleans up once the write end of the pipe closes, which is when
  // this process ends however it ends.
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return absl::InternalError("pipe failed");
  }
  // initdb or pg_ctl may still be running when the test process dies (they are
  // processes of their own), so stop and remove a few times, a second apart.
  const std::string once =
      absl::StrCat(Quote(instance->bin_dir_ + "/pg_ctl"), " -D ", Quote(instance->data_dir_),
                   " -m immediate stop >/dev/null 2>&1; rm -rf ", Quote(root));
  const std::string as_owner = geteuid() == 0 ? absl::StrCat("runuser -u postgres -- sh -c ",
                                                             Quote(once), "; rm -rf ", Quote(root))
                                              : once;
  // The reaper is a shell in a session of its own (a timeout that kills the
  // test's process group leaves it alone). It reads the pipe on fd 3: "q" means
  // the test process cleaned up itself; end-of-file means it died.
  const std::string reaper_script =
      absl::StrCat("byte=$(head -c 1 <&3); [ \"$byte\" = q ] && exit 0; ",
                   "for attempt in 1 2 3; do ", as_owner, "; sleep 1; done");
  const pid_t reaper = fork();
  if (reaper == 0) {
    setsid();
    if (pipe_fds[0] == 3) {
      fcntl(3, F_SETFD, 0);
    } else {
      dup2(pipe_fds[0], 3);  // the copy does not inherit close-on-exec
    }
    const int null_fd = open("/dev/null", O_RDWR);
    dup2(null_fd, STDIN_FILENO);
    dup2(null_fd, STDOUT_FILENO);  // holding the test's output would make ctest wait
    dup2(null_fd, STDERR_FILENO);
    execl("/bin/sh", "sh", "-c", reaper_script.c_str(), static_cast<char*>(nullptr));
    _exit(0);
  }
  close(pipe_fds[0]);
  instance->root_dir_ = root;
  instance->reaper_pipe_ = pipe_fds[1];
  instance->reaper_pid_ = reaper;

  if (absl::Status status = instance->RunAsOwner(
          absl::StrCat(Quote(instance->bin_dir_ + "/initdb"), " -D ", Quote(instance->data_dir_),
                       " -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 --no-sync"));
      !status.ok()) {
    return status;
  }
  // A port found free can be taken before the server binds it; try a few.
  absl::Status started;
  for (int attempt = 0; attempt < 5; ++attempt) {
    instance->port_ = FreeLoopbackPort();
    started = instance->StartServer();
    if (started.ok()) {
      return instance;
    }
  }
  return started;
}

absl::Status PostgresInstance::RunAsOwner(const std::string& command) const {
  const std::string log = data_dir_ + "/../harness.log";
  const std::string full = geteuid() == 0 ? absl::StrCat("runuser -u postgres -- sh -c ",
                                                         Quote(command + " >>" + log + " 2>&1"))
                                          : absl::StrCat(command, " >>", Quote(log), " 2>&1");
  const int rc = std::system(full.c_str());
  if (rc != 0) {
    return absl::InternalError(absl::StrCat("command failed (", rc, "): ", command, "; see ", log));
  }
  return absl::OkStatus();
}

absl::Status PostgresInstance::StartServer() {
  const std::string options =
      absl::StrCat("-p ", port_, " -k ", data_dir_,
                   " -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
                   " -c full_page_writes=off -c max_connections=300 -c shared_buffers=64MB");
  absl::Status status = RunAsOwner(
      absl::StrCat(Quote(bin_dir_ + "/pg_ctl"), " -D ", Quote(data_dir_), " -l ",
                   Quote(data_dir_ + "/../server.log"), " -w -t 60 -o ", Quote(options), " start"));
  running_ = status.ok();
  return status;
}

int PostgresInstance::server_pid() const {
  std::ifstream pid_file(data_dir_ + "/postmaster.pid");
  int pid = -1;
  if (!running_ || !(pid_file >> pid)) return -1;
  return pid;
}

absl::Status PostgresInstance::Stop() {
  absl::Status status = RunAsOwner(
      absl::StrCat(Quote(bin_dir_ + "/pg_ctl"), " -D ", Quote(data_dir_), " -m fast -w stop"));
  running_ = false;
  return status;
}

absl::Status PostgresInstance::StartAgain() { return StartServer(); }

PostgresInstance::~PostgresInstance() {
  if (running_) {
    RunAsOwner(absl::StrCat(Quote(bin_dir_ + "/pg_ctl"), " -D ", Quote(data_dir_),
                            " -m immediate -w stop"))
        .IgnoreError();
  }
  std::error_code ignored;
  std::filesystem::remove_all(root_dir_, ignored);
  if (reaper_pipe_ >= 0) {
    const char done = 'q';
    if (write(reaper_pipe_, &done, 1) != 1) {
      // The reaper will clean up (again) on end-of-file; nothing is lost.
    }
    close(reaper_pipe_);
  }
  if (reaper_pid_ > 0) {
    waitpid(reaper_pid_, nullptr, 0);
  }
}

std::string PostgresInstance::Dsn(const std::string& database) const {
  return absl::StrCat("host=127.0.0.1 port=", port_, " user=postgres dbname=", database);
}

absl::StatusOr<std::string> PostgresInstance::CreateDatabase() {
  const std::string name = absl::StrCat("test_", getpid(), "_", next_database_++);
  common::pg::ConnectOptions options;
  options.dsn = Dsn();
  absl::StatusOr<std::unique_ptr<common::pg::Connection>> admin =
      common::pg::Connection::Open(options);
  if (!admin.ok()) {
    return admin.status();
  }
  if (absl::Status status = (*admin)->ExecuteScript(
          "create_database", absl::StrCat("CREATE DATABASE ", name, " TEMPLATE template0"));
      !status.ok()) {
    return status;
  }
  return Dsn(name);
}

namespace {
PostgresInstance* shared_instance = nullptr;
}  // namespace

PostgresInstance& SharedPostgres() {
  if (shared_instance == nullptr) {
    absl::StatusOr<std::unique_ptr<PostgresInstance>> started = PostgresInstance::Start();
    if (!started.ok()) {
      std::fprintf(stderr, "cannot start a test PostgreSQL server: %s\n",
                   std::string(started.status().message()).c_str());
      std::abort();
    }
    shared_instance = started->release();
    // Normal exit (tests passed or failed) stops the server here; abnormal
    // ends are covered by the reaper.
    std::atexit([] {
      delete shared_instance;
      shared_instance = nullptr;
    });
  }
  return *shared_instance;
}

}  // namespace todo::testing
