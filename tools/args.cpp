#include "args.hpp"

#include "common/error.hpp"

namespace aif::cli {

std::vector<Arg> scan_args(int argc, char** argv, const std::set<std::string>& bare,
                           const std::set<std::string>& optional) {
    std::vector<Arg> out;
    for (int i = 1; i < argc; ++i) {
        std::string word = argv[i];
        if (word.rfind("--", 0) != 0 || word.size() < 3)
            throw InputError("unexpected argument '" + word.substr(0, 40) + "' (options start with --)");
        word.erase(0, 2);
        Arg a;
        if (auto eq = word.find('='); eq != std::string::npos) {
            a.key = word.substr(0, eq);
            a.value = word.substr(eq + 1);
        } else {
            a.key = word;
            if (!bare.count(a.key) && !optional.count(a.key)) {
                if (i + 1 >= argc) throw InputError("--" + a.key + ": needs a value");
                a.value = argv[++i];
            }
        }
        out.push_back(std::move(a));
    }
    return out;
}

}  // namespace aif::cli
