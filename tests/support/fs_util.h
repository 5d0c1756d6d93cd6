// Filesystem helpers for tests. removeTree avoids std::filesystem::remove_all: pip's LibTorch 2.x exports its
// own statically linked copies of libstdc++'s directory-iterator symbols (pytorch#133437), and remove_all
// crashed in the GPU build's tests while simpler std::filesystem calls worked.
#pragma once

#include <ftw.h>
#include <cstdio>
#include <string>

namespace atelier::test {

// Deletes `path` and everything below it (no error when absent). Does not follow symlinks.
inline void removeTree(const std::string& path) {
  ::nftw(path.c_str(),
         [](const char* p, const struct stat*, int, struct FTW*) -> int { std::remove(p); return 0; },
         16, FTW_DEPTH | FTW_PHYS);
}

}  // namespace atelier::test
