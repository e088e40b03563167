// serialize/file.hpp: reading with bounds checks (InputFile, MemorySource) and AtomicFile's promise: a
// save that fails (size limit, a directory in the way, no such directory, an abandoned write) throws,
// names the path and the reason, leaves the previous file whole and leaves no temporary behind.
#include <eigentorch/serialize/file.hpp>

#include <doctest/doctest.h>

#include "serialize/serialize_test_util.hpp"

#include <sys/resource.h>  // setrlimit
#include <sys/stat.h>      // mkdir
#include <unistd.h>        // geteuid

#include <csignal>
#include <string>
#include <vector>

namespace ser = eigentorch::serialize;
using eigentorch::testing::list_dir;
using eigentorch::testing::read_bytes;
using eigentorch::testing::TempDir;
using eigentorch::testing::write_bytes;

namespace {
std::vector<unsigned char> text(const std::string& s) { return {s.begin(), s.end()}; }
void save_text(const std::string& path, const std::string& s) {
  ser::AtomicFile f(path);
  f.write(s.data(), s.size());
  CHECK(f.tell() == s.size());
  f.commit();
}
}  // namespace

TEST_CASE("serialize file: InputFile reads with bounds checks and names the file") {
  TempDir dir;
  write_bytes(dir / "a.bin", text("0123456789"));
  ser::InputFile f(dir / "a.bin");
  CHECK(f.size() == 10);
  CHECK(f.path() == dir / "a.bin");
  char buf[4] = {};
  f.read_at(6, buf, 4);
  CHECK(std::string(buf, 4) == "6789");
  f.read_at(10, buf, 0);  // an empty read at the end is fine
  CHECK_THROWS_WITH_AS(f.read_at(7, buf, 4),
                       ("'" + dir / "a.bin" + "': a read of 4 bytes at offset 7 passes the end of the file (10 bytes)")
                           .c_str(),
                       eigentorch::Error);
  CHECK_THROWS_AS(f.read_at(UINT64_MAX, buf, 2), eigentorch::Error);  // no wrap-around in the check
  CHECK(f.read_all() == text("0123456789"));
  CHECK_THROWS_WITH_AS(ser::InputFile(dir / "missing.pt"),
                       ("cannot open '" + dir / "missing.pt" + "': No such file or directory").c_str(),
                       eigentorch::Error);
  CHECK_THROWS_WITH_AS(ser::InputFile(dir.path()), ("cannot read '" + dir.path() + "': Is a directory").c_str(),
                       eigentorch::Error);
}

TEST_CASE("serialize file: MemorySource reads with the same checks") {
  const unsigned char data[] = {1, 2, 3};
  ser::MemorySource m(data, 3);
  unsigned char out[3] = {};
  m.read_at(1, out, 2);
  CHECK(out[0] == 2);
  CHECK(out[1] == 3);
  CHECK_THROWS_WITH_AS(m.read_at(2, out, 2), "'<memory>': a read of 2 bytes at offset 2 passes the end of the file (3 bytes)",
                       eigentorch::Error);
}

TEST_CASE("serialize file: AtomicFile writes, replaces an old file, and leaves nothing else") {
  TempDir dir;
  save_text(dir / "m.pt", "first");
  CHECK(read_bytes(dir / "m.pt") == text("first"));
  save_text(dir / "m.pt", "second, longer");
  CHECK(read_bytes(dir / "m.pt") == text("second, longer"));
  CHECK(list_dir(dir.path()) == std::vector<std::string>{"m.pt"});
  save_text(dir / "empty.pt", "");
  CHECK(read_bytes(dir / "empty.pt").empty());
}

TEST_CASE("serialize file: an AtomicFile never committed leaves the old file whole and no temporary") {
  TempDir dir;
  save_text(dir / "m.pt", "old");
  {
    ser::AtomicFile f(dir / "m.pt");
    f.write("new bytes", 9);
    CHECK(read_bytes(dir / "m.pt") == text("old"));  // nothing visible before commit
    CHECK(list_dir(dir.path()).size() == 2);          // the temporary, beside the target
  }
  CHECK(read_bytes(dir / "m.pt") == text("old"));
  CHECK(list_dir(dir.path()) == std::vector<std::string>{"m.pt"});
}

TEST_CASE("serialize file: a save refused by the path throws, naming it and the reason") {
  TempDir dir;
  ::mkdir((dir / "sub").c_str(), 0755);
  CHECK_THROWS_WITH_AS(save_text(dir / "sub", "x"), ("cannot save to '" + dir / "sub" + "': Is a directory").c_str(),
                       eigentorch::Error);
  CHECK_THROWS_WITH_AS(save_text(dir / "no/such/dir/m.pt", "x"),
                       ("cannot save to '" + dir / "no/such/dir/m.pt" + "': No such file or directory").c_str(),
                       eigentorch::Error);
  write_bytes(dir / "file", text("f"));
  CHECK_THROWS_WITH_AS(save_text(dir / "file/m.pt", "x"),
                       ("cannot save to '" + dir / "file/m.pt" + "': Not a directory").c_str(), eigentorch::Error);
  CHECK(list_dir(dir.path()) == std::vector<std::string>{"file", "sub"});
  CHECK(list_dir(dir / "sub").empty());
  if (::geteuid() != 0) {  // (root writes anywhere)
    ::mkdir((dir / "ro").c_str(), 0555);
    CHECK_THROWS_WITH_AS(save_text(dir / "ro/m.pt", "x"),
                         ("cannot save to '" + dir / "ro/m.pt" + "': Permission denied").c_str(), eigentorch::Error);
  }
}

TEST_CASE("serialize file: passing the file-size limit throws EFBIG, keeps the old file, removes the temporary") {
  TempDir dir;
  save_text(dir / "m.pt", "the previous checkpoint");
  struct rlimit old {};
  REQUIRE(getrlimit(RLIMIT_FSIZE, &old) == 0);
  struct rlimit small = old;
  small.rlim_cur = 4096;
  REQUIRE(setrlimit(RLIMIT_FSIZE, &small) == 0);
  // The default action of SIGXFSZ ends the process: AtomicFile blocks it while it writes.
  const std::string big(10000, 'x');
  std::string message;
  try {
    save_text(dir / "m.pt", big);
  } catch (const eigentorch::Error& e) {
    message = e.what();
  }
  setrlimit(RLIMIT_FSIZE, &old);
  CHECK(message == "cannot save to '" + dir / "m.pt" + "': File too large");
  CHECK(read_bytes(dir / "m.pt") == text("the previous checkpoint"));
  CHECK(list_dir(dir.path()) == std::vector<std::string>{"m.pt"});
  sigset_t pending;
  sigemptyset(&pending);
  sigpending(&pending);
  CHECK(sigismember(&pending, SIGXFSZ) == 0);  // the signal our write raised was consumed
  save_text(dir / "m.pt", big);                // and saving works again after the limit is lifted
  CHECK(read_bytes(dir / "m.pt").size() == big.size());
}
